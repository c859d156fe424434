import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { ExportError } from "../errors.ts";
import { normalizeExport } from "../export/normalize-export.ts";
import type { Conversation } from "../model/conversation.ts";
import { collectExport } from "../testing/collect.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { generateExport } from "../testing/generate-export.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { concatBytes, streamOf } from "../testing/streams.ts";
import { sha256Hex } from "../util/sha256.ts";
import { parseManifest, type Manifest, type ShardEntry } from "./manifest.ts";
import { readShard } from "./shard-reader.ts";
import type { ShardFile, ShardLimits } from "./shard-writer.ts";

async function normalize(name: string, bytes: Uint8Array, shards?: Partial<ShardLimits>): Promise<{ manifest: Manifest; files: ShardFile[] }> {
  const files: ShardFile[] = [];
  const manifest = await normalizeExport({ name, stream: streamOf(bytes, 4096) }, (f) => void files.push(f), { shards });
  return { manifest, files };
}

async function rejection(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
  throw new Error("expected the shard to be rejected");
}

const synthetic = concatBytes(generateExport({ conversations: 120, seed: 42 }));

describe("shards", () => {
  it("normalizeExport() → readShard() round trip is lossless for the normalized model", async () => {
    const direct = await collectExport("conversations.json", synthetic);
    const stored = direct.items.filter((c) => c.messages.length > 0);
    const { manifest, files } = await normalize("conversations.json", synthetic, { maxShardBytes: 32 * 1024 });
    expect(files.length).toBeGreaterThan(3);
    const back: Conversation[] = [];
    for (const f of files) back.push(...(await readShard(f.name, streamOf(f.bytes, 1000), f.entry)));
    expect(back).toEqual(stored);
    expect(JSON.stringify(back)).toBe(JSON.stringify(stored));
    expect(manifest.counts.conversations).toBe(stored.length);
    expect(manifest.counts.messages).toBe(stored.reduce((n, c) => n + c.messages.length, 0));
    expect(manifest.complete).toBe(true);
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it("normalizeExport() is deterministic: the same input gives byte-identical shards and manifest", async () => {
    const a = await normalize("conversations.json", synthetic);
    const b = await normalize("conversations.json", synthetic);
    expect(JSON.stringify(a.manifest)).toBe(JSON.stringify(b.manifest));
    expect(a.files.map((f) => f.entry.sha256)).toEqual(b.files.map((f) => f.entry.sha256));
    expect(await Promise.all(a.files.map((f) => sha256Hex(f.bytes)))).toEqual(await Promise.all(b.files.map((f) => sha256Hex(f.bytes))));
  });

  it("normalizeExport() with native gzip gives readable, deterministic shards of the same content", async () => {
    const portable = await normalize("conversations.json", synthetic, { maxShardBytes: 64 * 1024 });
    const native = await normalize("conversations.json", synthetic, { maxShardBytes: 64 * 1024, gzip: "native" });
    const again = await normalize("conversations.json", synthetic, { maxShardBytes: 64 * 1024, gzip: "native" });
    expect(native.files.map((f) => f.entry.sha256)).toEqual(again.files.map((f) => f.entry.sha256));
    expect(native.files.map((f) => f.name)).toEqual(portable.files.map((f) => f.name));
    for (let i = 0; i < native.files.length; i++) {
      const n = native.files[i]!;
      const p = portable.files[i]!;
      expect(await readShard(n.name, n.bytes, n.entry)).toEqual(await readShard(p.name, p.bytes, p.entry));
    }
  });

  it("normalizeExport() rejects with the sink's error when storing a shard fails", async () => {
    let calls = 0;
    const run = normalizeExport({ name: "conversations.json", stream: streamOf(synthetic) }, async () => {
      if (++calls === 2) throw new Error("storage said 503");
    }, { shards: { maxShardBytes: 32 * 1024 } });
    await expect(run).rejects.toThrow("storage said 503");
  });

  it("ShardWriter bounds shards by uncompressed bytes and by conversation count", async () => {
    const bySize = await normalize("conversations.json", synthetic, { maxShardBytes: 32 * 1024 });
    for (const f of bySize.files) {
      const raw = new TextDecoder().decode(await import("fflate").then((m) => m.gunzipSync(f.bytes)));
      if (f.entry.conversations > 1) expect(new TextEncoder().encode(raw).length).toBeLessThanOrEqual(32 * 1024);
    }
    const byCount = await normalize("conversations.json", synthetic, { maxShardConversations: 7 });
    expect(byCount.files.every((f) => f.entry.conversations <= 7)).toBe(true);
    expect(byCount.manifest.shards.map((s) => s.name).slice(0, 2)).toEqual(["shard-00000.ndjson.gz", "shard-00001.ndjson.gz"]);
  });

  it("normalizeExport() marks the manifest incomplete and lists per-conversation errors", async () => {
    const { manifest } = await normalize("conversations.json", loadFixture(FIXTURES.chatgpt));
    expect(manifest.complete).toBe(false);
    expect(manifest.counts).toEqual({ conversations: 2, messages: 11, failed: 3, empty: 1, customInstructions: 1, shards: 1 });
    expect(manifest.errors.map((e) => e.code)).toEqual(["missing_current_node", "broken_thread", "missing_current_node"]);
    expect(manifest.dateRange).toEqual({ from: "2023-11-14T22:13:20.000Z", to: "2023-11-14T22:30:20.000Z" });
  });

  it("readShard() rejects a shard with one flipped byte, naming it", async () => {
    const { files } = await normalize("conversations.json", synthetic);
    const f = files[0]!;
    const tampered = f.bytes.slice();
    tampered[Math.floor(tampered.length / 2)]! ^= 0x01;
    const e = await rejection(readShard(f.name, tampered, f.entry));
    expect(e.code).toBe("corrupt_shard");
    expect(e.part).toBe(f.name);
    expect(e.message).toMatch(/SHA-256/);
  });

  it("readShard() rejects a wrong size, a longer stream and a wrong name", async () => {
    const { files } = await normalize("conversations.json", synthetic);
    const f = files[0]!;
    expect((await rejection(readShard(f.name, f.bytes.subarray(1), f.entry))).message).toMatch(/bytes/);
    expect((await rejection(readShard(f.name, streamOf(concatBytes([f.bytes, new Uint8Array(3)])), f.entry))).message).toMatch(/more/);
    expect((await rejection(readShard("shard-00009.ndjson.gz", f.bytes, f.entry))).code).toBe("corrupt_shard");
  });

  it("readShard() rejects a shard whose hash matches but whose content breaks the schema", async () => {
    const bad = gzipSync(new TextEncoder().encode(JSON.stringify({ id: "x", source: "chatgpt", title: "t", createdAt: "yesterday", updatedAt: "x", messages: [] }) + "\n"));
    const entry: ShardEntry = { name: "shard-00000.ndjson.gz", bytes: bad.length, sha256: await sha256Hex(bad), conversations: 1, messages: 0 };
    const e = await rejection(readShard(entry.name, bad, entry));
    expect(e.code).toBe("corrupt_shard");
    expect(e.message).toMatch(/line 1.*createdAt/);
    const extra = gzipSync(new TextEncoder().encode(JSON.stringify({ id: "x", source: "chatgpt", title: "t", createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-01-01T00:00:00.000Z", messages: [], injected: true }) + "\n"));
    const entry2: ShardEntry = { ...entry, bytes: extra.length, sha256: await sha256Hex(extra) };
    expect((await rejection(readShard(entry2.name, extra, entry2))).code).toBe("corrupt_shard");
  });

  it("readShard() rejects a manifest entry whose counts do not match the shard", async () => {
    const { files } = await normalize("conversations.json", synthetic);
    const f = files[0]!;
    expect((await rejection(readShard(f.name, f.bytes, { ...f.entry, conversations: f.entry.conversations + 1 }))).message).toMatch(/conversations/);
    expect((await rejection(readShard(f.name, f.bytes, { ...f.entry, messages: f.entry.messages - 1 }))).message).toMatch(/messages/);
  });

  it("parseManifest() rejects invalid JSON, a wrong version and duplicate shard names", async () => {
    const { manifest } = await normalize("conversations.json", synthetic, { maxShardConversations: 100 });
    expect(() => parseManifest("{")).toThrow(ExportError);
    expect(() => parseManifest({ ...manifest, formatVersion: 2 })).toThrow(/formatVersion/);
    expect(() => parseManifest({ ...manifest, shards: [manifest.shards[0], manifest.shards[0]] })).toThrow(/twice/);
  });
});
