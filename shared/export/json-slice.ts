import { ExportError } from "../errors.ts";
import type { ResumePoint } from "../json/array-splitter.ts";
import { resolveLimits, type ExportLimits } from "../limits.ts";
import { ShardWriter, type ShardLimits, type ShardSink } from "../shards/shard-writer.ts";
import { CustomInstructionsCollector } from "./custom-instructions-collector.ts";
import { JsonPart, type PartItem } from "./json-part.ts";
import type { ExportInput } from "./read-export.ts";
import { sniff } from "./sniff.ts";
import { SummaryBuilder, type NormalizeSummary } from "./summary.ts";

/** Where a slice starts and how much it may read. */
export interface SliceOptions {
  /** null for the first slice; then the `next` of the previous slice. */
  resume: ResumePoint | null;
  /** Number of the first shard this slice writes (shards written so far). */
  firstShard: number;
  /** Stop after about this many input bytes (at the next conversation boundary). */
  maxBytes: number;
  limits?: Partial<ExportLimits>;
  shards?: Partial<ShardLimits>;
}

/** What one slice did. */
export interface SliceResult {
  /** True when the array ended: no more slices. */
  done: boolean;
  /** Where the next slice starts (byte offset into the file, conversation index); null when done. */
  next: ResumePoint | null;
  bytesRead: number;
  format: "chatgpt" | "claude" | null;
  summary: NormalizeSummary;
}

/**
 * Resumable normalization of a bare JSON export (`conversations.json`) in bounded slices, for a
 * server that may spend only a little CPU per request (Edge Functions: 2 s). Each slice reads from
 * `resume.offset` (fetch that byte range from Storage), normalizes whole conversations until about
 * `maxBytes` were read, writes its shards (numbered from `firstShard`) and returns where to go on.
 * Join the slices' summaries with manifestOf(). ZIPs cannot be resumed mid-inflate: normalize those
 * in one pass (browser or CLI).
 */
export async function normalizeJsonSlice(input: ExportInput, sink: ShardSink, options: SliceOptions): Promise<SliceResult> {
  const limits = resolveLimits(options.limits);
  const writer = new ShardWriter(sink, options.shards, options.firstShard);
  const summary = new SummaryBuilder();
  const collector = new CustomInstructionsCollector();
  const queue: PartItem[] = [];
  let format: SliceResult["format"] = null;
  const part = new JsonPart(input.name, limits, (item) => queue.push(item), options.resume ?? undefined);
  const reader = input.stream.getReader();
  let bytesRead = 0;
  let done = false;
  let sniffed = options.resume !== null;
  try {
    for (;;) {
      const { done: ended, value } = await reader.read();
      if (ended) {
        part.end();
        done = true;
      } else {
        if (!sniffed) {
          const s = sniff(value, false);
          if (s.kind === "zip") throw new ExportError("unsupported_input", "expected a JSON export for resumable normalization, found a ZIP (normalize ZIPs in one pass)", { part: input.name, offset: 0 });
          if (s.kind === "unsupported") throw new ExportError("unsupported_input", `expected a ChatGPT or Claude conversations.json, found ${s.found}`, { part: input.name, offset: 0 });
          sniffed = s.kind !== "need-more";
        }
        bytesRead += value.length;
        part.push(value);
      }
      for (const item of queue.splice(0)) {
        if (item.kind === "failed") summary.fail(item.error);
        else {
          format ??= item.format;
          collector.add(item.item.customInstructions);
          if (summary.keep(item.item.conversation)) await writer.add(item.item.conversation);
        }
      }
      const progressed = part.checkpoint !== null && (options.resume === null || part.checkpoint.offset > options.resume.offset);
      if (done || (bytesRead >= options.maxBytes && progressed)) break;
    }
    if (!done) await reader.cancel().catch(() => {});
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  return {
    done,
    next: done ? null : part.checkpoint,
    bytesRead,
    format,
    summary: summary.finish(await writer.finish(), await collector.result()),
  };
}
