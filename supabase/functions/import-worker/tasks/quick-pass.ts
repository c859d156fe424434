import type { TaskStep } from "../context.ts";
import { analyzeBatch, buildProfile, customInstructionFacts, exportStats, parseManifest, readShard } from "../lib.ts";
import type { NewTask } from "../types.ts";
import { shardFolder } from "./folder.ts";

const decoder = new TextDecoder();

/** Conversations of the first shard the quick pass samples for a first profile. */
export const QUICK_SAMPLE = 200;

/**
 * The quick pass: from the manifest (counts, date range, custom instructions) and a sample of the
 * first shard (topics, first facts) it writes a partial MEMORY profile, stores the custom
 * instructions as facts, marks the import `quick_ready`, and queues one task per shard plus the
 * finalize task (the lease order runs finalize after every shard has settled).
 */
export const quickPassStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const folder = shardFolder(task);
  const manifest = parseManifest(decoder.decode(await ctx.store.read(`${folder}manifest.json`)));

  const first = manifest.shards[0];
  const sample = first ? (await readShard(await ctx.store.read(`${folder}${first.name}`), first)).slice(0, QUICK_SAMPLE) : [];
  const rows = await analyzeBatch(sample);
  const ciFacts = await customInstructionFacts(manifest.customInstructions);
  if (ciFacts.length > 0) await ctx.db.upsertFacts(task.user_id, ciFacts);
  const stats = exportStats(manifest, rows.topics, rows.activity);
  const profile = buildProfile(
    [...ciFacts, ...rows.facts].map((f) => ({ ...f, fact_key: f.fact_key ?? f.statement, first_seen: null, last_seen: null })),
    { manifest, topics: rows.topics, activity: rows.activity, partial: null },
  );
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
