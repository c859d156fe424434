import { zipSync } from "fflate";
import { normalizeExport } from "../export/normalize-export.ts";
import { readExport } from "../export/read-export.ts";
import { analyzeConversations } from "../memory/analyze-shard.ts";
import { consolidateFacts } from "../memory/consolidate.ts";
import type { Conversation } from "../model/conversation.ts";
import { sha256Hex } from "../util/sha256.ts";
import { FIXTURES } from "./fixtures.ts";
import { generateExport } from "./generate-export.ts";
import { concatBytes, streamOf } from "./streams.ts";

/** Digest of one normalization: the manifest's SHA-256 and every shard's. */
export interface ParityDigest {
  manifestSha256: string;
  shards: Record<string, string>;
}

/**
 * Normalizes the committed fixtures (bare JSON, Claude, a split ZIP) and a synthetic export, and
 * returns digests of the results. Node (vitest) and Deno (deno test) both compare these with
 * fixtures/expected/parity.json, so the two runtimes are held to byte-identical shards.
 */
export async function parityDigests(load: (path: string) => Promise<Uint8Array>): Promise<Record<string, ParityDigest>> {
  const splitZip = zipSync(
    {
      "conversations-000.json": await load(FIXTURES.split0),
      "conversations-001.json": await load(FIXTURES.split1),
      "export_manifest.json": await load(FIXTURES.splitManifest),
    },
    { mtime: "2024-01-01T00:00:00Z" },
  );
  const inputs: [string, string, Uint8Array][] = [
    ["chatgpt", "conversations.json", await load(FIXTURES.chatgpt)],
    ["claude", "conversations.json", await load(FIXTURES.claude)],
    ["split-zip", "export.zip", splitZip],
    ["synthetic", "conversations.json", concatBytes(generateExport({ conversations: 150, seed: 3 }))],
  ];
  const out: Record<string, ParityDigest> = {};
  for (const [key, name, bytes] of inputs) {
    const shards: Record<string, string> = {};
    const manifest = await normalizeExport({ name, stream: streamOf(bytes, 8192) }, async (s) => {
      shards[s.name] = await sha256Hex(s.bytes);
    }, { shards: { maxShardBytes: 128 * 1024 } });
    out[key] = { manifestSha256: await sha256Hex(JSON.stringify(manifest)), shards };
  }
  // The full pass too: chunks, facts, topics and activity of the synthetic export.
  const conversations: Conversation[] = [];
  await readExport({ name: "conversations.json", stream: streamOf(inputs[3]![2]) }, (item) => {
    if (item.kind === "conversation") conversations.push(item.conversation);
  });
  const analysis = await analyzeConversations(conversations);
  const analysisJson = JSON.stringify({ ...analysis, facts: consolidateFacts(analysis.facts) });
  out["synthetic-analysis"] = { manifestSha256: await sha256Hex(analysisJson), shards: { chunks: String(analysis.chunks.length), facts: String(analysis.facts.length) } };
  return out;
}
