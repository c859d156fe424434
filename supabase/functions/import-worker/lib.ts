/**
 * The worker's single doorway into the isomorphic export library in `shared/` (the same code the
 * browser and the CLI run), plus the mapping from its model to the database rows.
 */
import type { Chunk } from "../../../shared/chunker/chunk.ts";
import type { Fact } from "../../../shared/memory/fact.ts";
import { analyzeConversations } from "../../../shared/memory/analyze-shard.ts";
import { consolidateFacts } from "../../../shared/memory/consolidate.ts";
import { factsFromCustomInstructions } from "../../../shared/memory/offline-extractor.ts";
import { renderProfile } from "../../../shared/memory/render-profile.ts";
import {
  type ActivityByMonth,
  mergeActivity,
  mergeTopics,
  pruneTopics,
  type TopicCounts,
  topTopics,
} from "../../../shared/memory/topics.ts";
import type { Conversation } from "../../../shared/model/conversation.ts";
import type { CustomInstructions } from "../../../shared/model/custom-instructions.ts";
import { type Manifest, parseManifest, type ShardEntry } from "../../../shared/shards/manifest.ts";
import { readShard as readVerifiedShard } from "../../../shared/shards/shard-reader.ts";
import type { ChunkInput, FactInput, FactRow, FactSource } from "./db.ts";

export { mergeActivity, mergeTopics, parseManifest, pruneTopics };
export type { ActivityByMonth, Conversation, Manifest, ShardEntry, TopicCounts };

/** Reads a shard and checks it against its manifest entry (name, size, sha256, schema, count). */
export function readShard(bytes: Uint8Array, entry: ShardEntry): Promise<Conversation[]> {
  return readVerifiedShard(entry.name, bytes, entry);
}

/** What one batch of conversations becomes: rows to upsert plus mergeable topic/activity counts. */
export interface BatchRows {
  chunks: ChunkInput[];
  facts: FactInput[];
  topics: TopicCounts;
  activity: ActivityByMonth;
}

/** Chunks, extracts facts (offline extractor) and counts topics for conversations. */
export async function analyzeBatch(conversations: Conversation[]): Promise<BatchRows> {
  const a = await analyzeConversations(conversations);
  const byChunkId = new Map(a.chunks.map((c) => [c.id, c]));
  return {
    chunks: a.chunks.map(chunkRow),
    facts: a.facts.map((f) => factRow(f, byChunkId)),
    topics: a.topics,
    activity: a.activity,
  };
}

/** Facts the custom instructions state (confidence 1). */
export async function customInstructionFacts(list: CustomInstructions[]): Promise<FactInput[]> {
  return (await factsFromCustomInstructions(list)).map((f) => factRow(f, new Map()));
}

function chunkRow(c: Chunk): ChunkInput {
  return {
    conversation_id: c.conversationId,
    chunk_index: c.index,
    content: c.text,
    conversation_title: c.title,
    conversation_time: c.conversationCreatedAt,
    token_estimate: c.tokens,
  };
}

function factRow(f: Fact, chunks: Map<string, Chunk>): FactInput {
  const sources: FactSource[] = f.sources.map((s) => {
    if (s.type === "custom_instructions") {
      return { conversation_id: "custom-instructions", chunk_index: 0, conversation_title: "Custom instructions", conversation_time: s.at };
    }
    const chunk = chunks.get(s.chunkId);
    return {
      conversation_id: s.conversationId,
      chunk_index: chunk?.index ?? 0,
      conversation_title: chunk?.title ?? null,
      conversation_time: chunk?.conversationCreatedAt ?? s.at,
    };
  });
  return { fact_key: `${f.kind} ${f.key}`, category: f.kind, statement: f.statement, confidence: f.confidence, sources };
}

/** Stats kept in memory_profiles.stats and shown after the quick pass. */
export interface ExportStats {
  conversations: number;
  messages: number;
  failed: number;
  shards: number;
  date_from: string | null;
  date_to: string | null;
  top_topics: string[];
  custom_instructions: number;
  activity: ActivityByMonth;
}

/** Stats from the manifest plus the topic and activity counts seen so far. */
export function exportStats(manifest: Manifest, topics: TopicCounts, activity: ActivityByMonth): ExportStats {
  return {
    conversations: manifest.counts.conversations,
    messages: manifest.counts.messages,
    failed: manifest.counts.failed,
    shards: manifest.counts.shards,
    date_from: manifest.dateRange?.from ?? null,
    date_to: manifest.dateRange?.to ?? null,
    top_topics: topTopics(topics, 10).map(([t]) => t),
    custom_instructions: manifest.counts.customInstructions,
    activity,
  };
}

/** The MEMORY profile (markdown + ranked facts) from stored fact rows. */
export function buildProfile(
  rows: Pick<FactRow, "fact_key" | "category" | "statement" | "confidence" | "sources" | "first_seen" | "last_seen">[],
  input: {
    manifest: Manifest;
    topics: TopicCounts;
    activity: ActivityByMonth;
    partial: { reason: string; failed: number; total: number } | null;
  },
): { markdown: string; facts: Fact[] } {
  const now = new Date(0).toISOString();
  const facts = consolidateFacts(rows.map((r): Fact => ({
    id: r.fact_key,
    kind: (r.category ?? "identity") as Fact["kind"],
    key: r.fact_key.replace(/^\S+ /, ""),
    statement: r.statement,
    confidence: Math.min(1, Math.max(0, r.confidence)),
    mentions: Math.max(1, r.sources?.length ?? 1),
    firstSeen: toIso(r.first_seen) ?? now,
    lastSeen: toIso(r.last_seen) ?? now,
    sources: [],
  })));
  const markdown = renderProfile({
    facts,
    customInstructions: input.manifest.customInstructions,
    topics: input.topics,
    activity: input.activity,
    partial: input.partial,
  });
  return { markdown, facts: facts.slice(0, 200) };
}

function toIso(t: string | null): string | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
