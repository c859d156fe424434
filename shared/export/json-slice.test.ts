import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { ExportError } from "../errors.ts";
import type { Conversation } from "../model/conversation.ts";
import { readShard } from "../shards/shard-reader.ts";
import type { ShardFile } from "../shards/shard-writer.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { generateExport } from "../testing/generate-export.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { concatBytes, streamOf } from "../testing/streams.ts";
import { normalizeJsonSlice, type SliceResult } from "./json-slice.ts";
import { normalizeExport } from "./normalize-export.ts";
import { manifestOf } from "./summary.ts";

/** Runs slices the way a worker would: each one reads the byte range from its resume offset. */
async function sliced(bytes: Uint8Array, maxBytes: number) {
  const files: ShardFile[] = [];
  const slices: SliceResult[] = [];
  let resume = null as SliceResult["next"];
  for (;;) {
    const from = resume?.offset ?? 0;
    const r = await normalizeJsonSlice({ name: "conversations.json", stream: streamOf(bytes.subarray(from), 3000) }, (f) => void files.push(f), {
      resume,
      firstShard: files.length,
      maxBytes,
      shards: { maxShardBytes: 16 * 1024 },
    });
    slices.push(r);
    if (r.done) break;
    expect(r.next!.offset).toBeGreaterThan(from);
    resume = r.next;
  }
  return { files, slices };
}

async function readAll(files: ShardFile[]): Promise<Conversation[]> {
  const out: Conversation[] = [];
  for (const f of files) out.push(...(await readShard(f.name, f.bytes, f.entry)));
  return out;
}

describe("normalizeJsonSlice", () => {
  it("normalizeJsonSlice() in bounded slices stores exactly what one pass stores", async () => {
    const bytes = concatBytes(generateExport({ conversations: 60, seed: 11 }));
    const { files, slices } = await sliced(bytes, 100 * 1024);
    expect(slices.length).toBeGreaterThan(5);
    expect(files.map((f) => f.name)).toEqual(files.map((_, i) => `shard-${String(i).padStart(5, "0")}.ndjson.gz`));
    const onePass: ShardFile[] = [];
    const whole = await normalizeExport({ name: "conversations.json", stream: streamOf(bytes) }, (f) => void onePass.push(f), { shards: { maxShardBytes: 16 * 1024 } });
    expect(await readAll(files)).toEqual(await readAll(onePass));
    const manifest = manifestOf({ name: "conversations.json", type: "chatgpt-json", bytes: bytes.length, parts: ["conversations.json"] }, slices.map((s) => s.summary));
    expect(manifest.counts).toEqual({ ...whole.counts, shards: files.length });
    expect(manifest.customInstructions).toEqual(whole.customInstructions);
    expect(manifest.dateRange).toEqual(whole.dateRange);
  });

  it("normalizeJsonSlice() carries per-conversation failures through slices", async () => {
    const bytes = loadFixture(FIXTURES.chatgpt);
    const { slices } = await sliced(bytes, 2000);
    const manifest = manifestOf({ name: "conversations.json", type: "chatgpt-json", bytes: bytes.length, parts: ["conversations.json"] }, slices.map((s) => s.summary));
    expect(manifest.complete).toBe(false);
    expect(manifest.errors.map((e) => [e.code, e.index])).toEqual([["missing_current_node", 2], ["broken_thread", 3], ["missing_current_node", 5]]);
    expect(manifest.counts.conversations).toBe(2);
  });

  it("normalizeJsonSlice() rejects a ZIP and a file truncated in a later slice", async () => {
    const zip = zipSync({ "conversations.json": loadFixture(FIXTURES.chatgpt) });
    await expect(normalizeJsonSlice({ name: "x.zip", stream: streamOf(zip) }, () => {}, { resume: null, firstShard: 0, maxBytes: 1e6 })).rejects.toMatchObject({ code: "unsupported_input" });
    const bytes = concatBytes(generateExport({ conversations: 10, seed: 2 }));
    const cut = bytes.subarray(0, bytes.length - 100);
    const error = await sliced(cut, 50 * 1024).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe("truncated");
  });
});
