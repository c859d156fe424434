import type { TaskStep } from "../context.ts";
import { type ActivityByMonth, buildProfile, exportStats, mergeActivity, mergeTopics, parseManifest, pruneTopics, type TopicCounts } from "../lib.ts";
import { shardFolder } from "./folder.ts";

const decoder = new TextDecoder();

/**
 * Finalize: merges the topic/activity counts every shard task recorded, consolidates every stored
 * fact into the MEMORY profile (`memory_profiles`, partial = false unless items failed). Completing
 * it settles the run (the runner calls `worker_finish_run`, which sets the final statuses and
 * failed-item counts).
 */
export const finalizeStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const folder = shardFolder(task);
  const manifest = parseManifest(decoder.decode(await ctx.store.read(`${folder}manifest.json`)));
  const results = await ctx.db.taskResults(task.run_id, "shard");
  let topics: TopicCounts = {};
  let activity: ActivityByMonth = {};
  for (const r of results) {
    topics = mergeTopics(topics, (r.topics ?? {}) as TopicCounts);
    activity = mergeActivity(activity, (r.activity ?? {}) as ActivityByMonth);
  }
  topics = pruneTopics(topics);
  const failedShards = manifest.shards.length - results.length;
  const failed = manifest.counts.failed + failedShards;
  const partial = failed > 0
    ? { reason: "conversations could not be read", failed, total: manifest.counts.conversations + manifest.counts.failed }
    : null;

  const facts = await ctx.db.allFacts(task.user_id);
  const chunks = await ctx.db.chunkCount(task.user_id);
  const profile = buildProfile(facts, { manifest, topics, activity, partial });
  const stats = { ...exportStats(manifest, topics, activity), chunks, facts: facts.length, failed_shards: failedShards };
  await ctx.db.upsertProfile({
    user_id: task.user_id,
    markdown: profile.markdown,
    facts: profile.facts,
    stats,
    partial: partial !== null,
  });
  return { type: "done", result: { facts: facts.length, chunks, failed_items: manifest.counts.failed } };
};
