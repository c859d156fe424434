import assert from "node:assert/strict";
import { normalizeExport } from "../../../shared/export/normalize-export.ts";
import { generateExport } from "../../../shared/testing/generate-export.ts";
import { ExportError } from "../../../shared/errors.ts";
import { FakePlatform } from "./testing/fake-platform.ts";
import { fakeRunner, ManualClock } from "./testing/harness.ts";
import { describeFailure } from "./runner.ts";
import { TaskError } from "./types.ts";

async function shardSet(p: FakePlatform, conversations: number, perShard: number) {
  const parts = [...generateExport({ conversations, seed: 3 })];
  const folder = "user-1/imp-1/";
  const manifest = await normalizeExport(
    { name: "conversations.json", stream: new Blob(parts as Uint8Array<ArrayBuffer>[]).stream() },
    (f) => void p.objects.set(`${folder}${f.name}`, f.bytes),
    { shards: { maxShardConversations: perShard } },
  );
  p.objects.set(`${folder}manifest.json`, new TextEncoder().encode(JSON.stringify(manifest)));
  p.begin(folder, "shards");
  return manifest;
}

Deno.test("runInvocation() takes a shard set through quick pass, shards and finalize, then settles the run", async () => {
  const p = new FakePlatform();
  const manifest = await shardSet(p, 40, 10);
  const reports = await fakeRunner(p).drain();
  assert.deepEqual(p.tasks.map((t) => `${t.idempotency_key}:${t.state}`), [
    "quick_pass:done", "shard:shard-00000.ndjson.gz:done", "shard:shard-00001.ndjson.gz:done",
    "shard:shard-00002.ndjson.gz:done", "shard:shard-00003.ndjson.gz:done", "finalize:done",
  ]);
  assert.ok(p.events.includes(`quick_ready ${manifest.counts.conversations}`));
  assert.equal(p.events.at(-1), "finish_run");
  assert.ok(p.chunks.size >= manifest.counts.conversations);
  assert.equal(p.profiles.get("user-1")!.partial, false);
  assert.match(String(p.profiles.get("user-1")!.markdown), /^# Memory profile/);
  assert.equal(reports.at(-1)!.stopped, "idle");
});

Deno.test("runInvocation() re-invokes itself with the task in hand when a shard runs out of budget", async () => {
  const p = new FakePlatform();
  await shardSet(p, 250, 250);
  const cpu = new ManualClock();
  p.api.on("POST /rest/v1/rpc/worker_upsert_chunks", (r) => {
    cpu.advance(400);
    const body = JSON.parse(r.body);
    for (const c of body.p_chunks) p.chunks.set(`${c.conversation_id}#${c.chunk_index}`, c);
    return body.p_chunks.length;
  });
  const { drain } = fakeRunner(p, { cpuBudgetMs: 1000 }, cpu);
  const reports = await drain();
  const shardSteps = reports.flatMap((r) => r.steps).filter((s) => s.kind === "shard");
  assert.deepEqual(shardSteps.map((s) => s.outcome), ["yield", "done"]);
  const resumed = reports.find((r) => r.steps.some((s) => s.kind === "shard" && s.outcome === "done"))!;
  assert.equal(resumed.worker, reports.find((r) => r.steps.some((s) => s.outcome === "yield"))!.worker, "the lease owner carries over");
  assert.equal(p.tasks.find((t) => t.kind === "shard")!.attempts, 1, "a yield is not a new attempt");
  assert.ok(p.events.includes("finish_run"));
});

Deno.test("runInvocation() drops a task whose lease was lost without completing it", async () => {
  const p = new FakePlatform();
  await shardSet(p, 250, 250);
  p.loseLeaseAfterHeartbeats = 0;
  const { drain } = fakeRunner(p);
  const reports = await drain(3);
  const shard = reports.flatMap((r) => r.steps).find((s) => s.kind === "shard")!;
  assert.equal(shard.outcome, "lost");
  assert.equal(p.tasks.find((t) => t.kind === "shard")!.state, "running", "left for the sweep to requeue");
  assert.ok(!p.events.some((e) => e.startsWith("done shard")));
});

Deno.test("describeFailure() calls a broken export permanent and anything unexpected retryable", () => {
  assert.equal(describeFailure(new ExportError("corrupt_shard", "bad bytes", { part: "shard-00001.ndjson.gz" })).kind, "permanent");
  assert.match(describeFailure(new ExportError("corrupt_shard", "bad bytes")).message, /export your data again/);
  assert.equal(describeFailure(new TypeError("fetch failed")).kind, "retryable");
  assert.equal(describeFailure(new TaskError("permanent", "gone")).kind, "permanent");
});
