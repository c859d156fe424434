import type { ImportStatus } from "../../../../../shared/import-status.ts";

/** The `user_profiles` columns that mirror fields of {@link ImportStatus} one to one. */
const MIRRORED = [
  "import_status",
  "import_stage",
  "progress_percent",
  "import_error",
  "storage_path",
  "file_type",
  "full_pass_status",
  "full_pass_error",
  "full_pass_error_kind",
  "full_pass_started_at",
  "full_pass_completed_at",
  "full_pass_attempts",
  "failed_items",
  "total_items",
  "done_items",
  "conversation_count",
  "updated_at",
] as const satisfies readonly (keyof ImportStatus)[];

/**
 * Writes a `user_profiles` row from a Realtime event over the cached status: the columns the
 * row carries replace the cached ones at once (the banner moves without a round trip); derived
 * fields such as `can_retry` are refreshed by the refetch that follows.
 */
export function applyProfileRow(previous: ImportStatus | undefined, row: Record<string, unknown>) {
  if (!previous) return previous;
  const next: Record<string, unknown> = { ...previous };
  for (const key of MIRRORED) {
    if (key in row) next[key] = row[key];
  }
  if (row.full_pass_status === "processing" || row.import_status === "processing") {
    next.can_retry = false;
    next.retry_blocked_reason = "in_progress";
    next.stale = false;
  }
  return next as ImportStatus;
}
