import { ShardEntrySchema } from "../../../../shared/shards/manifest.ts";
import type { TaskStep } from "../context.ts";
import { type ActivityByMonth, analyzeBatch, mergeActivity, mergeTopics, pruneTopics, readShard, type TopicCounts } from "../lib.ts";
import { TaskError } from "../types.ts";
import { shardFolder } from "./folder.ts";

/** Conversations written per database round trip (and per heartbeat). */
export const SHARD_BATCH = 100;

/** Progress of a shard task, saved with every heartbeat. */
interface ShardCheckpoint {
  /** First conversation (index in the shard) not yet written. */
  next: number;
  chunks: number;
  facts: number;
  topics: TopicCounts;
  activity: ActivityByMonth;
}

/**
 * One shard: read and verify it, chunk every conversation, extract facts, and upsert both in
 * batches. Each batch is followed by a heartbeat carrying the checkpoint (the first conversation
 * not yet written, and the topic/activity counts so far), so a killed or out-of-budget step
 * resumes there; replaying a batch is harmless because both upserts are idempotent. The result
 * keeps the shard's topic and activity counts for finalize.
 */
export const shardStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const entry = ShardEntrySchema.safeParse(task.payload.entry);
  if (!entry.success) throw new TaskError("permanent", `shard task ${task.id} has no valid shard entry`);
  const saved = (task.checkpoint ?? {}) as Partial<ShardCheckpoint>;
  const cp: ShardCheckpoint = {
    next: saved.next ?? 0,
    chunks: saved.chunks ?? 0,
    facts: saved.facts ?? 0,
    topics: saved.topics ?? {},
    activity: saved.activity ?? {},
  };
  const conversations = await readShard(await ctx.store.read(`${shardFolder(task)}${entry.data.name}`), entry.data);

  let batchStart = ctx.budget.cpuUsed();
  for (let i = cp.next; i < conversations.length; i += SHARD_BATCH) {
    const batch = conversations.slice(i, i + SHARD_BATCH);
    const rows = await analyzeBatch(batch);
    await ctx.db.upsertChunks(task.user_id, task.import_id, rows.chunks);
    if (rows.facts.length > 0) await ctx.db.upsertFacts(task.user_id, rows.facts);
    cp.next = i + batch.length;
    cp.chunks += rows.chunks.length;
    cp.facts += rows.facts.length;
    cp.topics = pruneTopics(mergeTopics(cp.topics, rows.topics));
    cp.activity = mergeActivity(cp.activity, rows.activity);
    ctx.faults.itemsDone(batch.length);
    if (cp.next < conversations.length) {
      const checkpoint = cp as unknown as Record<string, unknown>;
      if (!(await ctx.heartbeat(checkpoint))) return { type: "lost" };
      const cost = ctx.budget.cpuUsed() - batchStart;
      batchStart = ctx.budget.cpuUsed();
      if (!ctx.budget.fits(cost)) return { type: "yield", checkpoint };
    }
  }
  return {
    type: "done",
    result: {
      shard: task.payload.shard,
      conversations: conversations.length,
      chunks: cp.chunks,
      facts: cp.facts,
      topics: cp.topics,
      activity: cp.activity,
    },
  };
};
