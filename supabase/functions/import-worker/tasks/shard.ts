import { ShardEntrySchema } from "../../../../shared/shards/manifest.ts";
import type { TaskStep } from "../context.ts";
import type { ChunkInput, FactInput } from "../db.ts";
import { chunkConversation, extractFacts, readShard } from "../lib.ts";
import { TaskError } from "../types.ts";
import { shardFolder } from "./folder.ts";

/** Conversations written per database round trip (and per heartbeat). */
export const SHARD_BATCH = 25;

/**
 * One shard: read and verify it, chunk every conversation, extract facts, and upsert both in
 * batches. Each batch is followed by a heartbeat carrying `{next}` (the first conversation not yet
 * written), so a killed or out-of-budget step resumes there; replaying a batch is harmless because
 * both upserts are idempotent.
 */
export const shardStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const entry = ShardEntrySchema.safeParse(task.payload.entry);
  if (!entry.success) throw new TaskError("permanent", `shard task ${task.id} has no valid shard entry`);
  const from = Number(task.checkpoint?.next ?? 0);
  const conversations = await readShard(await ctx.store.read(`${shardFolder(task)}${entry.data.name}`), entry.data);

  let chunksWritten = Number(task.checkpoint?.chunks ?? 0);
  let factsWritten = Number(task.checkpoint?.facts ?? 0);
  for (let i = from; i < conversations.length; i += SHARD_BATCH) {
    const batch = conversations.slice(i, i + SHARD_BATCH);
    const chunks: ChunkInput[] = [];
    const facts: FactInput[] = [];
    for (const c of batch) {
      const cs = chunkConversation(c);
      chunks.push(...cs);
      facts.push(...extractFacts(c, cs));
    }
    await ctx.db.upsertChunks(task.user_id, task.import_id, chunks);
    if (facts.length > 0) await ctx.db.upsertFacts(task.user_id, facts);
    chunksWritten += chunks.length;
    factsWritten += facts.length;
    ctx.faults.itemsDone(batch.length);
    const next = i + batch.length;
    if (next < conversations.length) {
      const checkpoint = { next, chunks: chunksWritten, facts: factsWritten };
      if (!(await ctx.heartbeat(checkpoint))) return { type: "lost" };
      if (ctx.budget.exhausted()) return { type: "yield", checkpoint };
    }
  }
  return {
    type: "done",
    result: { shard: task.payload.shard, conversations: conversations.length, chunks: chunksWritten, facts: factsWritten },
  };
};
