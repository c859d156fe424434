import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { consolidateFacts } from "../../shared/memory/consolidate.ts";
import { analyzeConversations } from "../../shared/memory/analyze-shard.ts";
import { factsFromCustomInstructions } from "../../shared/memory/offline-extractor.ts";
import { renderProfile } from "../../shared/memory/render-profile.ts";
import { mergeActivity, mergeTopics, type ActivityByMonth, type TopicCounts } from "../../shared/memory/topics.ts";
import type { Fact } from "../../shared/memory/fact.ts";
import { parseManifest } from "../../shared/shards/manifest.ts";
import { readShard } from "../../shared/shards/shard-reader.ts";
import type { Command } from "./command.ts";
import { printError } from "./format.ts";

/** `profile <dir>`: the full pass, offline, on a normalized folder → MEMORY.md beside the shards. */
export const command: Command = {
  usage: "profile <normalized dir> [--out MEMORY.md]",
  summary: "verify every shard, chunk + extract facts offline, write the MEMORY profile (markdown)",
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
    const dir = positionals[0];
    if (!dir) {
      console.error(`usage: npm run engram -- ${this.usage}`);
      return 2;
    }
    try {
      const started = performance.now();
      const manifest = parseManifest(await readFile(path.join(dir, "manifest.json"), "utf8"));
      const facts: Fact[] = await factsFromCustomInstructions(manifest.customInstructions);
      const topics: TopicCounts[] = [];
      const activity: ActivityByMonth[] = [];
      let chunks = 0;
      for (const entry of manifest.shards) {
        const conversations = await readShard(entry.name, new Uint8Array(await readFile(path.join(dir, entry.name))), entry);
        const a = await analyzeConversations(conversations);
        chunks += a.chunks.length;
        facts.push(...a.facts);
        topics.push(a.topics);
        activity.push(a.activity);
      }
      const consolidated = consolidateFacts(facts);
      const total = manifest.counts.conversations + manifest.counts.failed;
      const md = renderProfile({
        facts: consolidated,
        customInstructions: manifest.customInstructions,
        topics: mergeTopics(...topics),
        activity: mergeActivity(...activity),
        partial: manifest.complete ? null : { reason: "conversations could not be read", failed: manifest.counts.failed, total },
      });
      const out = values.out ?? path.join(dir, "MEMORY.md");
      await writeFile(out, md);
      console.log(`${manifest.counts.conversations} conversations → ${chunks} chunks, ${consolidated.length} facts in ${((performance.now() - started) / 1000).toFixed(2)} s → ${out}`);
      return 0;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
