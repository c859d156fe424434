import type { ExportErrorCode } from "../../../../../shared/errors.ts";
import type { Manifest, ShardEntry } from "../../../../../shared/shards/manifest.ts";

/** What the page tells the normalize worker. */
export type ToNormalizeWorker =
  /** Read `file` and send its shards back. */
  | { type: "start"; file: File }
  /** The page took shard `seq` (or has room for more): the worker may produce the next one. */
  | { type: "ack"; seq: number };

/** Parsing progress, at most a few times per second. */
export interface ParseProgress {
  bytesRead: number;
  totalBytes: number;
  conversations: number;
  failed: number;
}

/** What the normalize worker tells the page. */
export type FromNormalizeWorker =
  | ({ type: "progress" } & ParseProgress)
  /** A finished gzip NDJSON shard; `bytes` is transferred, not copied. */
  | { type: "shard"; seq: number; name: string; bytes: Uint8Array; entry: ShardEntry }
  /** Every shard was sent; `manifest` goes to Storage last, as manifest.json. */
  | { type: "done"; manifest: Manifest }
  /** The export could not be read as a whole; `code` is the export library's error code. */
  | { type: "error"; code: ExportErrorCode | "internal"; message: string };
