import type { TaskStep } from "../context.ts";
import { chunkConversation, consolidateProfile, extractFacts, manifestStats, parseManifest, readShard } from "../lib.ts";
import type { NewTask } from "../types.ts";
import { shardFolder } from "./folder.ts";

const decoder = new TextDecoder();

/**
 * The quick pass: from the manifest (counts, date range, custom instructions) and the first shard
 * (titles for topics, a first set of facts) it writes a partial MEMORY profile, marks the import
 * `quick_ready`, and queues one task per shard plus the finalize task.
 */
export const quickPassStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const folder = shardFolder(task);
  const manifest = parseManifest(decoder.decode(await ctx.store.read(`${folder}manifest.json`)));

  const first = manifest.shards[0];
  const sample = first ? await readShard(await ctx.store.read(`${folder}${first.name}`), first) : [];
  const facts = sample.flatMap((c) => extractFacts(c, chunkConversation(c)));
  const stats = manifestStats(manifest, sample.map((c) => c.title));
  const profile = consolidateProfile(facts, stats, manifest.customInstructions);
  await ctx.db.upsertProfile({ user_id: task.user_id, markdown: profile.markdown, facts: profile.facts, stats, partial: true });
  ctx.faults.itemsDone(sample.length);

  const tasks: NewTask[] = manifest.shards.map((entry, shard) => ({
    kind: "shard",
    idempotency_key: `shard:${entry.name}`,
    payload: { shard, folder, entry },
  }));
  tasks.push({ kind: "finalize", idempotency_key: "finalize", payload: { folder } });
  await ctx.db.addTasks(task.run_id, tasks);
  await ctx.db.markQuickReady(task.run_id, {
    ...stats,
    conversation_count: manifest.counts.conversations,
    total_items: manifest.shards.length,
  });
  return { type: "done", result: { shards: manifest.shards.length, conversations: manifest.counts.conversations } };
};
