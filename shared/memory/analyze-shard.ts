import type { Chunk } from "../chunker/chunk.ts";
import { chunkConversation, type ChunkOptions } from "../chunker/chunker.ts";
import type { Conversation } from "../model/conversation.ts";
import type { Fact } from "./fact.ts";
import { extractFacts } from "./offline-extractor.ts";
import { addActivity, addTopics, pruneTopics, type ActivityByMonth, type TopicCounts } from "./topics.ts";

/** The result of processing one shard: everything the full pass stores for it. */
export interface ShardAnalysis {
  chunks: Chunk[];
  /** Facts per statement (not yet consolidated across shards). */
  facts: Fact[];
  topics: TopicCounts;
  activity: ActivityByMonth;
}

/**
 * The per-shard step of the full pass with the offline extractor: chunk every conversation,
 * extract facts, count topics and activity. Pure and deterministic; partial results of different
 * shards merge with consolidateFacts / mergeTopics / mergeActivity.
 */
export async function analyzeConversations(conversations: Iterable<Conversation>, options: Partial<ChunkOptions> = {}): Promise<ShardAnalysis> {
  const result: ShardAnalysis = { chunks: [], facts: [], topics: {}, activity: {} };
  for (const c of conversations) {
    const chunked = await chunkConversation(c, options);
    result.chunks.push(...chunked.chunks);
    result.facts.push(...(await extractFacts(c, chunked)));
    addTopics(result.topics, c);
    addActivity(result.activity, c);
  }
  result.topics = pruneTopics(result.topics);
  return result;
}
