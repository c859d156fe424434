import type { Conversation } from "../model/conversation.ts";
import { sha256Hex } from "../util/sha256.ts";
import { shardCompressor, type GzipLevel, type GzipMode, type ShardCompressor } from "./gzip.ts";
import type { ShardEntry } from "./manifest.ts";

/** Bounds of one shard. */
export interface ShardLimits {
  /** Uncompressed NDJSON bytes per shard (a single larger conversation gets a shard of its own). */
  maxShardBytes: number;
  /** Conversations per shard. */
  maxShardConversations: number;
  /** fflate level for `portable` mode. */
  gzipLevel: GzipLevel;
  /** See {@link GzipMode}: `portable` (same bytes everywhere, default) or `native` (faster). */
  gzip: GzipMode;
}

/**
 * Defaults sized for the worker: one shard (~1 MB gzip) is read, chunked and extracted well inside
 * one Edge Function request (2 s CPU, 256 MB). gzip level 1: normalized text still shrinks to about
 * a third, and fflate compresses ~2.5× faster than at level 6 (measured: 0.36 vs 0.34 of the NDJSON).
 */
export const DEFAULT_SHARD_LIMITS: ShardLimits = Object.freeze({
  maxShardBytes: 4 * 1024 * 1024,
  maxShardConversations: 1000,
  gzipLevel: 1 as GzipLevel,
  gzip: "portable" as GzipMode,
});

/** A finished shard: its file name, gzip bytes and manifest entry. */
export interface ShardFile {
  name: string;
  bytes: Uint8Array;
  entry: ShardEntry;
}

/** Receives each finished shard (e.g. writes a file, or uploads to Storage). */
export type ShardSink = (shard: ShardFile) => void | Promise<void>;

const encoder = new TextEncoder();

/** The file name of shard number `index`. */
export function shardName(index: number): string {
  return `shard-${String(index).padStart(5, "0")}.ndjson.gz`;
}

/**
 * Packs conversations into gzip NDJSON shards (one conversation per line, in input order), bounded
 * by uncompressed bytes and by conversation count, and hands each finished shard to the sink.
 */
export class ShardWriter {
  private readonly limits: ShardLimits;
  private readonly sink: ShardSink;
  private gz: ShardCompressor | null = null;
  private conversations = 0;
  private bytes = 0;
  private messages = 0;
  private readonly entries: ShardEntry[] = [];
  private readonly firstIndex: number;
  /** The previous shard's compress → hash → sink, overlapping with filling the next shard. */
  private pending: Promise<void> | null = null;

  /** `firstIndex` numbers the first shard (a later slice of a resumable normalization continues). */
  constructor(sink: ShardSink, limits: Partial<ShardLimits> = {}, firstIndex = 0) {
    this.sink = sink;
    this.limits = { ...DEFAULT_SHARD_LIMITS, ...limits };
    this.firstIndex = firstIndex;
  }

  /** Adds one conversation; may flush the current shard first. */
  async add(conversation: Conversation): Promise<void> {
    const line = encoder.encode(JSON.stringify(conversation) + "\n");
    if (this.conversations > 0 && (this.bytes + line.length > this.limits.maxShardBytes || this.conversations >= this.limits.maxShardConversations)) {
      await this.flush();
    }
    this.gz ??= shardCompressor(this.limits.gzip, this.limits.gzipLevel);
    this.gz.push(line);
    this.conversations++;
    this.bytes += line.length;
    this.messages += conversation.messages.length;
  }

  /** Flushes the last shard, waits for every sink call, and returns the manifest entries. */
  async finish(): Promise<ShardEntry[]> {
    if (this.conversations > 0) await this.flush();
    await this.pending;
    return this.entries;
  }

  /**
   * Closes the current shard. Its compression and sink call run while the next shard fills; at
   * most one shard is in flight (memory stays bounded) and sink calls keep shard order.
   */
  private async flush(): Promise<void> {
    await this.pending;
    const gz = this.gz!;
    const name = shardName(this.firstIndex + this.entries.length);
    const counts = { conversations: this.conversations, messages: this.messages };
    this.gz = null;
    this.conversations = 0;
    this.bytes = 0;
    this.messages = 0;
    const index = this.entries.length;
    this.entries.push(undefined as unknown as ShardEntry); // reserved: filled below, in order
    const job = (async () => {
      const bytes = await gz.finish();
      const entry: ShardEntry = { name, bytes: bytes.length, sha256: await sha256Hex(bytes), ...counts };
      this.entries[index] = entry;
      await this.sink({ name, bytes, entry });
    })();
    job.catch(() => {}); // awaited later (next flush or finish); avoid an unhandled-rejection crash meanwhile
    this.pending = job;
  }
}
