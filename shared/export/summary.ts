import type { ExportError, ExportErrorInfo } from "../errors.ts";
import { CONVERSATION_MODEL_VERSION, type Conversation } from "../model/conversation.ts";
import type { CustomInstructions } from "../model/custom-instructions.ts";
import { MAX_RECORDED_ERRORS, READER_VERSION, SHARD_FORMAT_VERSION, type Manifest, type ShardEntry } from "../shards/manifest.ts";
import type { Source } from "./source.ts";

/** What one normalization run (or one slice of a resumable one) produced. */
export interface NormalizeSummary {
  shards: ShardEntry[];
  conversations: number;
  messages: number;
  failed: number;
  empty: number;
  errors: ExportErrorInfo[];
  dateRange: { from: string; to: string } | null;
  customInstructions: CustomInstructions[];
}

/** Counts conversations as they are read; says whether each one is to be stored. */
export class SummaryBuilder {
  private messages = 0;
  private empty = 0;
  private failed = 0;
  private from: string | null = null;
  private to: string | null = null;
  private readonly errors: ExportErrorInfo[] = [];

  /** Records a failed conversation. */
  fail(error: ExportError): void {
    this.failed++;
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push(error.toJSON());
  }

  /** Records a conversation; false when it has no visible message (not stored). */
  keep(c: Conversation): boolean {
    if (c.messages.length === 0) {
      this.empty++;
      return false;
    }
    this.messages += c.messages.length;
    if (this.from === null || c.createdAt < this.from) this.from = c.createdAt;
    const last = c.messages[c.messages.length - 1]!.createdAt;
    const end = c.updatedAt > last ? c.updatedAt : last;
    if (this.to === null || end > this.to) this.to = end;
    return true;
  }

  finish(shards: ShardEntry[], customInstructions: CustomInstructions[]): NormalizeSummary {
    return {
      shards,
      conversations: shards.reduce((n, s) => n + s.conversations, 0),
      messages: this.messages,
      failed: this.failed,
      empty: this.empty,
      errors: this.errors,
      dateRange: this.from !== null && this.to !== null ? { from: this.from, to: this.to } : null,
      customInstructions,
    };
  }
}

/** Merges custom-instruction versions seen in several runs/slices (same id → one version). */
export function mergeCustomInstructions(...lists: CustomInstructions[][]): CustomInstructions[] {
  const byId = new Map<string, CustomInstructions>();
  for (const list of lists) {
    for (const ci of list) {
      const seen = byId.get(ci.id);
      byId.set(ci.id, seen
        ? { ...seen, firstSeen: ci.firstSeen < seen.firstSeen ? ci.firstSeen : seen.firstSeen, lastSeen: ci.lastSeen > seen.lastSeen ? ci.lastSeen : seen.lastSeen, conversations: seen.conversations + ci.conversations }
        : { ...ci });
    }
  }
  return [...byId.values()].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The manifest of a shard set made by one run or by consecutive slices (in order). */
export function manifestOf(source: Source, summaries: NormalizeSummary[]): Manifest {
  const shards = summaries.flatMap((s) => s.shards);
  const customInstructions = mergeCustomInstructions(...summaries.map((s) => s.customInstructions));
  const failed = summaries.reduce((n, s) => n + s.failed, 0);
  const ranges = summaries.map((s) => s.dateRange).filter((r) => r !== null);
  return {
    formatVersion: SHARD_FORMAT_VERSION,
    modelVersion: CONVERSATION_MODEL_VERSION,
    readerVersion: READER_VERSION,
    source,
    complete: failed === 0,
    counts: {
      conversations: summaries.reduce((n, s) => n + s.conversations, 0),
      messages: summaries.reduce((n, s) => n + s.messages, 0),
      failed,
      empty: summaries.reduce((n, s) => n + s.empty, 0),
      customInstructions: customInstructions.length,
      shards: shards.length,
    },
    dateRange: ranges.length === 0 ? null : {
      from: ranges.reduce((m, r) => (r.from < m ? r.from : m), ranges[0]!.from),
      to: ranges.reduce((m, r) => (r.to > m ? r.to : m), ranges[0]!.to),
    },
    shards,
    customInstructions,
    errors: summaries.flatMap((s) => s.errors).slice(0, MAX_RECORDED_ERRORS),
  };
}
