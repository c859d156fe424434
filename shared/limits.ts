/** Caps that keep a hostile or broken export from exhausting memory or CPU. */
export interface ExportLimits {
  /** Largest raw JSON of one conversation, in bytes; bigger ones are skipped as failed items. */
  maxConversationBytes: number;
  /** Largest text of one message after normalization, in UTF-16 units. */
  maxMessageChars: number;
  /** Largest inflated size of one ZIP entry we read. */
  maxEntryBytes: number;
  /** Largest total inflated size of all ZIP entries we read. */
  maxTotalBytes: number;
  /** Largest inflated/compressed ratio of a ZIP entry (checked once it passed 1 MiB). */
  maxCompressionRatio: number;
  /** Largest small side file we parse whole (export_manifest.json). */
  maxSideFileBytes: number;
}

const MiB = 1024 * 1024;

/** Defaults: generous for real exports (2 GB+), tight enough for a 256 MB Edge Function. */
export const DEFAULT_LIMITS: ExportLimits = Object.freeze({
  maxConversationBytes: 24 * MiB,
  maxMessageChars: 4 * MiB,
  maxEntryBytes: 16 * 1024 * MiB,
  maxTotalBytes: 32 * 1024 * MiB,
  maxCompressionRatio: 200,
  maxSideFileBytes: 4 * MiB,
});

/** Fills unspecified limits with {@link DEFAULT_LIMITS}. */
export function resolveLimits(partial: Partial<ExportLimits> = {}): ExportLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
