/**
 * The worker's single doorway into the isomorphic export library in `shared/`. Tasks import from
 * here only, so the library can evolve behind one file.
 */
import { gzip } from "../../../shared/shards/gzip.ts";
import { readShard as readVerifiedShard } from "../../../shared/shards/shard-reader.ts";
import { DEFAULT_SHARD_LIMITS, shardName } from "../../../shared/shards/shard-writer.ts";
import { type Manifest, parseManifest, type ShardEntry } from "../../../shared/shards/manifest.ts";
import type { Conversation } from "../../../shared/model/conversation.ts";
import { sha256Hex } from "../../../shared/util/sha256.ts";
import type { FactInput, FactSource } from "./db.ts";

export { parseManifest };
export type { Conversation, Manifest, ShardEntry };

const encoder = new TextEncoder();

/** Reads a shard and checks it against its manifest entry (name, size, sha256, schema, count). */
export function readShard(bytes: Uint8Array, entry: ShardEntry): Promise<Conversation[]> {
  return readVerifiedShard(entry.name, bytes, entry);
}

/** Encodes conversations as shard number `index` (gzip NDJSON, the shared shard format). */
export async function encodeShard(index: number, conversations: Conversation[]): Promise<{ bytes: Uint8Array; entry: ShardEntry }> {
  const text = conversations.map((c) => JSON.stringify(c) + "\n").join("");
  const bytes = gzip(encoder.encode(text), DEFAULT_SHARD_LIMITS.gzipLevel);
  return {
    bytes,
    entry: {
      name: shardName(index),
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      conversations: conversations.length,
      messages: conversations.reduce((n, c) => n + c.messages.length, 0),
    },
  };
}

/** A chunk of a conversation, ready for `worker_upsert_chunks`. */
export interface Chunk {
  conversation_id: string;
  chunk_index: number;
  content: string;
  conversation_title: string | null;
  conversation_time: string | null;
  token_estimate: number;
}

const CHUNK_CHARS = 2000;

/** Cuts a conversation into chunks of whole messages (long messages are split), in order. */
export function chunkConversation(c: Conversation): Chunk[] {
  const chunks: Chunk[] = [];
  let buf = "";
  const flush = () => {
    if (buf.trim() === "") return;
    chunks.push({
      conversation_id: c.id,
      chunk_index: chunks.length,
      content: buf.trim(),
      conversation_title: c.title || null,
      conversation_time: c.createdAt,
      token_estimate: Math.ceil(buf.length / 4),
    });
    buf = "";
  };
  for (const m of c.messages) {
    const line = `${m.role === "user" ? "User" : "Assistant"}: ${m.text}\n`;
    if (buf.length + line.length > CHUNK_CHARS) flush();
    for (let i = 0; i < line.length; i += CHUNK_CHARS) {
      buf += line.slice(i, i + CHUNK_CHARS);
      if (buf.length >= CHUNK_CHARS) flush();
    }
  }
  flush();
  return chunks;
}

const FACT_PATTERNS: [RegExp, string, (m: RegExpMatchArray) => string][] = [
  [/\bmy name is ([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)/, "identity", (m) => `Name: ${m[1]}`],
  [/\bI live in ([A-Z][\w' -]{1,40}?)(?=[.,!?\n]|$)/, "location", (m) => `Lives in ${m[1]}`],
  [/\bI work (?:as|at) ([\w' -]{2,50}?)(?=[.,!?\n]|$)/i, "work", (m) => `Works ${m[0].match(/ as /i) ? "as" : "at"} ${m[1]}`],
  [/\bI(?:'m| am) an? ([\w' -]{2,40}?)(?=[.,!?\n]|$)/i, "identity", (m) => `Is a ${m[1]}`],
  [/\bI (?:really )?(?:love|like|enjoy) ([\w' -]{2,40}?)(?=[.,!?\n]|$)/i, "preference", (m) => `Likes ${m[1]}`],
  [/\bmy favou?rite ([\w ]{2,20}) is ([\w' -]{2,40}?)(?=[.,!?\n]|$)/i, "preference", (m) => `Favorite ${m[1]}: ${m[2]}`],
];

/** Facts stated by the user in these chunks (deterministic, offline). */
export function extractFacts(c: Conversation, chunks: Chunk[]): FactInput[] {
  const out: FactInput[] = [];
  for (const chunk of chunks) {
    const source: FactSource = {
      conversation_id: c.id,
      chunk_index: chunk.chunk_index,
      conversation_title: chunk.conversation_title,
      conversation_time: chunk.conversation_time,
    };
    for (const line of chunk.content.split("\n")) {
      if (!line.startsWith("User: ")) continue;
      for (const [re, category, make] of FACT_PATTERNS) {
        const m = line.match(re);
        if (m) out.push({ category, statement: make(m), confidence: 0.6, sources: [source] });
      }
    }
  }
  return out;
}

/** Stats shown after the quick pass (and kept in memory_profiles.stats). */
export interface ExportStats {
  conversations: number;
  messages: number;
  failed: number;
  shards: number;
  date_from: string | null;
  date_to: string | null;
  top_topics: string[];
  custom_instructions: number;
}

const STOP = new Set("the a an and or of to in on for with about how what why is are be my your i you it this that new chat from into vs using use".split(" "));

/** Stats from the manifest, plus top topics from the titles seen so far. */
export function manifestStats(manifest: Manifest, titles: string[]): ExportStats {
  return {
    conversations: manifest.counts.conversations,
    messages: manifest.counts.messages,
    failed: manifest.counts.failed,
    shards: manifest.counts.shards,
    date_from: manifest.dateRange?.from ?? null,
    date_to: manifest.dateRange?.to ?? null,
    top_topics: topTopics(titles),
    custom_instructions: manifest.counts.customInstructions,
  };
}

/** The most frequent meaningful words of conversation titles. */
export function topTopics(titles: string[], n = 10): string[] {
  const counts = new Map<string, number>();
  for (const t of titles) {
    for (const w of t.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (w.length < 3 || STOP.has(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([w]) => w);
}

/** The MEMORY profile: markdown plus structured facts. */
export function consolidateProfile(
  facts: { category: string | null; statement: string; confidence: number }[],
  stats: ExportStats,
  customInstructions: { aboutUser: string; aboutModel: string }[],
): { markdown: string; facts: unknown[] } {
  const byCategory = new Map<string, string[]>();
  const sorted = [...facts].sort((a, b) => b.confidence - a.confidence || (a.statement < b.statement ? -1 : 1));
  for (const f of sorted) {
    const k = f.category ?? "other";
    const list = byCategory.get(k) ?? [];
    if (list.length < 20) list.push(f.statement);
    byCategory.set(k, list);
  }
  const lines = ["# MEMORY", ""];
  lines.push(`${stats.conversations} conversations, ${stats.messages} messages` +
    (stats.date_from ? `, ${stats.date_from.slice(0, 10)} to ${stats.date_to?.slice(0, 10)}` : "") + ".", "");
  const latest = customInstructions.at(-1);
  if (latest?.aboutUser) lines.push("## About me (custom instructions)", "", latest.aboutUser, "");
  for (const [category, statements] of [...byCategory].sort()) {
    lines.push(`## ${category[0]!.toUpperCase()}${category.slice(1)}`, "", ...statements.map((s) => `- ${s}`), "");
  }
  if (stats.top_topics.length > 0) lines.push("## Frequent topics", "", stats.top_topics.join(", "), "");
  return { markdown: lines.join("\n"), facts: sorted.slice(0, 200) };
}
