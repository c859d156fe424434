import type { TaskStep } from "../context.ts";
import { consolidateProfile, manifestStats, parseManifest } from "../lib.ts";
import { shardFolder } from "./folder.ts";

const decoder = new TextDecoder();

/**
 * Finalize: consolidates every stored fact into the MEMORY profile (`memory_profiles`, partial =
 * false). Completing it settles the run (the runner calls `worker_finish_run`, which sets the final
 * statuses and failed-item counts).
 */
export const finalizeStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const folder = shardFolder(task);
  const manifest = parseManifest(decoder.decode(await ctx.store.read(`${folder}manifest.json`)));
  const facts = await ctx.db.allFacts(task.user_id);
  const previous = await ctx.db.profileStats(task.user_id);
  const stats = { ...manifestStats(manifest, []), top_topics: previous?.top_topics ?? [] };
  const chunks = await ctx.db.chunkCount(task.user_id);
  const profile = consolidateProfile(facts, stats, manifest.customInstructions);
  await ctx.db.upsertProfile({
    user_id: task.user_id,
    markdown: profile.markdown,
    facts: profile.facts,
    stats: { ...stats, chunks, facts: facts.length },
    partial: false,
  });
  return { type: "done", result: { facts: facts.length, chunks } };
};
