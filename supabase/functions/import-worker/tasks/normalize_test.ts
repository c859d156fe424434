import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { normalizeExport } from "../../../../shared/export/normalize-export.ts";
import { generateExportBytes } from "../../../../shared/testing/generate-export.ts";
import { sha256Hex } from "../../../../shared/util/sha256.ts";
import { FakePlatform } from "../testing/fake-platform.ts";
import { fakeRunner, ManualClock } from "../testing/harness.ts";

function exportBytes(conversations: number, seed: number): Uint8Array {
  return generateExportBytes({ conversations, seed });
}

/** Small shards, so a few hundred conversations make several. */
const LIMITS = { maxShardConversations: 120, maxShardBytes: 1_500_000 };

/** What the browser's normalizer writes for the same input (shard name → sha256). */
async function browserShards(name: string, bytes: Uint8Array) {
  const files = new Map<string, string>();
  const manifest = await normalizeExport(
    { name, stream: new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size: bytes.length },
    async (f) => void files.set(f.name, await sha256Hex(f.bytes)),
    { shards: LIMITS },
  );
  return { files, manifest };
}

async function serverShards(name: string, bytes: Uint8Array, fileType: "json" | "zip", opts: { yieldEveryShard: boolean; honourRange?: boolean }) {
  const p = new FakePlatform();
  p.honourRange = opts.honourRange ?? true;
  const path = `user-1/upload/${name}`;
  p.objects.set(path, bytes);
  p.begin(path, fileType, { shard_limits: LIMITS });
  const cpu = new ManualClock();
  if (opts.yieldEveryShard) {
    p.api.on("POST /storage/v1/object/imports/*", (r) => {
      cpu.advance(10_000); // every write spends the whole budget: the step must yield after it
      p.objects.set(decodeURIComponent(r.path.slice("/storage/v1/object/imports/".length)), r.bytes);
      return { Key: r.path };
    });
  }
  const { drain } = fakeRunner(p, {}, cpu);
  const reports = await drain();
  const folder = "user-1/imp-1/normalized/";
  const files = new Map<string, string>();
  for (const [k, v] of p.objects) {
    if (k.startsWith(folder) && k !== `${folder}manifest.json`) files.set(k.slice(folder.length), await sha256Hex(v));
  }
  const manifest = JSON.parse(new TextDecoder().decode(p.objects.get(`${folder}manifest.json`)!));
  return { p, reports, files, manifest };
}

Deno.test("normalizeStep writes the same shards and manifest as the browser's normalizeExport", async () => {
  const bytes = exportBytes(450, 5);
  const expected = await browserShards("conversations.json", bytes);
  const got = await serverShards("conversations.json", bytes, "json", { yieldEveryShard: false });
  assert.deepEqual([...got.files.keys()].sort(), [...expected.files.keys()].sort());
  for (const [name, b] of expected.files) assert.deepEqual(got.files.get(name), b, name);
  assert.deepEqual(got.manifest, expected.manifest);
});

Deno.test("normalizeStep resumes at each shard boundary (Range reads) and still writes identical shards", async () => {
  const bytes = exportBytes(450, 6);
  const expected = await browserShards("conversations.json", bytes);
  for (const honourRange of [true, false]) {
    const got = await serverShards("conversations.json", bytes, "json", { yieldEveryShard: true, honourRange });
    const normalizeSteps = got.reports.flatMap((r) => r.steps).filter((s) => s.kind === "normalize");
    assert.equal(normalizeSteps.filter((s) => s.outcome === "yield").length, expected.files.size - 1, "a yield after every shard but the last");
    for (const [name, b] of expected.files) assert.deepEqual(got.files.get(name), b, `${name} (range ${honourRange})`);
    assert.deepEqual(got.manifest, expected.manifest);
    assert.ok(got.p.events.includes("finish_run"));
  }
});

Deno.test("normalizeStep resumes inside a ZIP export and matches the browser's shards", async () => {
  const json = exportBytes(300, 7);
  const zip = zipSync({ "conversations.json": json, "chat.html": new TextEncoder().encode("<html></html>") });
  const expected = await browserShards("export.zip", zip);
  const got = await serverShards("export.zip", zip, "zip", { yieldEveryShard: true });
  assert.ok(got.files.size >= 2);
  for (const [name, b] of expected.files) assert.deepEqual(got.files.get(name), b, name);
  assert.deepEqual(got.manifest, expected.manifest);
});

Deno.test("normalizeStep fails permanently with a readable reason for a corrupt export", async () => {
  const p = new FakePlatform();
  p.objects.set("user-1/upload/conversations.json", new TextEncoder().encode('[{"mapping": {}, "title": "x"'));
  p.begin("user-1/upload/conversations.json", "json");
  await fakeRunner(p).drain();
  const t = p.tasks[0]!;
  assert.equal(t.state, "failed");
  assert.match(t.error!, /The export could not be read/);
  assert.ok(p.events.some((e) => e === "fail normalize permanent"));
});

Deno.test("normalizeStep refuses a ZIP entry too large to resume within the CPU limit, saying what to do", async () => {
  const p = new FakePlatform();
  p.objects.set("user-1/upload/export.zip", zipSync({ "conversations.json": exportBytes(20, 8) }));
  p.begin("user-1/upload/export.zip", "zip", { zip_entry_limit: 1024 });
  await fakeRunner(p).drain();
  const t = p.tasks[0]!;
  assert.equal(t.state, "failed");
  assert.match(t.error!, /conversations\.json in this ZIP is .* uncompressed; .*npm run engram -- import/);
});
