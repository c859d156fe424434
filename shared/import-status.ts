/**
 * The import status model shared by the browser, the Edge Functions (Deno) and Node: the values
 * of the status columns, the shape `get_import_status()` returns, the results of the import RPCs,
 * and the stable reason codes the database raises (SQLSTATE `PTxyz` = HTTP xyz, `details` =
 * reason). Source of truth: supabase/migrations/*_profiles.sql and *_imports.sql.
 */
import { z } from "zod";

/** `user_profiles.import_status`: the import as a whole (quick pass included). */
export const ImportStatusValue = z.enum(["none", "processing", "quick_ready", "complete", "failed"]);
export type ImportStatusValue = z.infer<typeof ImportStatusValue>;

/** `user_profiles.full_pass_status`: the long pass over every shard. */
export const FullPassStatus = z.enum(["pending", "processing", "complete", "failed"]);
export type FullPassStatus = z.infer<typeof FullPassStatus>;

/** What the stored export is: a raw ChatGPT JSON / ZIP, or the browser's normalized shard folder. */
export const ImportFileType = z.enum(["json", "zip", "shards"]);
export type ImportFileType = z.infer<typeof ImportFileType>;

/** Whether a failure may go away on its own (retry helps) or not. */
export const ErrorKind = z.enum(["retryable", "permanent"]);
export type ErrorKind = z.infer<typeof ErrorKind>;

/** Status of a run (`engram_private.import_runs.status`). */
export const RunStatus = z.enum(["queued", "running", "complete", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatus>;

/** Why `can_retry` is false in `get_import_status()`. */
export const RetryBlockedReason = z.enum([
  "not_failed",
  "no_export",
  "too_many_attempts",
  "rate_limited",
  "permanent_failure",
  "in_progress",
]);
export type RetryBlockedReason = z.infer<typeof RetryBlockedReason>;

/**
 * Every reason code an RPC raises (in `details`), with the HTTP status its SQLSTATE `PTxyz`
 * makes PostgREST answer.
 */
export const DB_REASON_STATUS = {
  invalid_path: 400,
  invalid_file_type: 400,
  invalid_argument: 400,
  invalid_query: 400,
  unknown_action: 400,
  not_authenticated: 401,
  forbidden_path: 403,
  no_export: 404,
  no_profile: 404,
  no_run: 404,
  import_in_progress: 409,
  import_id_conflict: 409,
  not_failed: 409,
  already_processing: 409,
  already_complete: 409,
  too_many_attempts: 409,
  invalid_transition: 409,
  lease_lost: 409,
  run_not_active: 409,
  tasks_remaining: 409,
  permanent_failure: 422,
  rate_limited: 429,
} as const;

/** A stable reason code raised by the database. */
export type DbReason = keyof typeof DB_REASON_STATUS;
export const DbReason = z.enum(Object.keys(DB_REASON_STATUS) as [DbReason, ...DbReason[]]);

const timestamp = z.string().nullable();
const count = z.number().int().nonnegative();

/** What `rpc('get_import_status')` returns: the caller's whole import picture. */
export const ImportStatusSchema = z.object({
  import_status: ImportStatusValue,
  import_stage: z.string().nullable(),
  progress_percent: z.number().int().min(0).max(100),
  import_error: z.string().nullable(),
  import_id: z.guid().nullable(),
  storage_path: z.string().nullable(),
  file_type: ImportFileType.nullable(),
  full_pass_status: FullPassStatus,
  full_pass_error: z.string().nullable(),
  full_pass_error_kind: ErrorKind.nullable(),
  full_pass_started_at: timestamp,
  full_pass_completed_at: timestamp,
  full_pass_attempts: count,
  max_attempts: z.number().int().positive(),
  failed_items: count,
  total_items: count,
  done_items: count,
  conversation_count: count,
  chunk_count: count,
  fact_count: count,
  run_id: z.guid().nullable(),
  run_status: RunStatus.nullable(),
  /** True when the active run showed no sign of life for 120 s (then a retry is allowed). */
  stale: z.boolean(),
  last_heartbeat_at: timestamp,
  can_retry: z.boolean(),
  retry_blocked_reason: RetryBlockedReason.nullable(),
  /** Set when `retry_blocked_reason` is `rate_limited`. */
  retry_after_seconds: z.number().int().positive().nullable(),
  updated_at: z.string(),
});
export type ImportStatus = z.infer<typeof ImportStatusSchema>;

/** A `public.user_profiles` row (what Realtime `postgres_changes` delivers as `new`). */
export const UserProfileSchema = z.object({
  user_id: z.guid(),
  import_status: ImportStatusValue,
  import_stage: z.string().nullable(),
  progress_percent: z.number().int().min(0).max(100),
  import_error: z.string().nullable(),
  processing_started_at: timestamp,
  storage_path: z.string().nullable(),
  file_type: ImportFileType.nullable(),
  import_id: z.guid().nullable(),
  full_pass_status: FullPassStatus,
  full_pass_error: z.string().nullable(),
  full_pass_error_kind: ErrorKind.nullable(),
  full_pass_started_at: timestamp,
  full_pass_completed_at: timestamp,
  full_pass_attempts: count,
  failed_items: count,
  total_items: count,
  done_items: count,
  conversation_count: count,
  current_run_id: z.guid().nullable(),
  last_heartbeat_at: timestamp,
  created_at: z.string(),
  updated_at: z.string(),
});
export type UserProfile = z.infer<typeof UserProfileSchema>;

/** What `rpc('begin_import', {p_storage_path, p_file_type, p_import_id?})` returns. */
export const BeginImportResultSchema = z.object({
  import_id: z.guid(),
  run_id: z.guid(),
  /** False when the same import id was already started (idempotent replay). */
  created: z.boolean(),
});
export type BeginImportResult = z.infer<typeof BeginImportResultSchema>;

/** What `rpc('claim_full_pass_retry')` returns. */
export const ClaimRetryResultSchema = z.object({
  run_id: z.guid(),
  import_id: z.guid(),
  storage_path: z.string(),
  file_type: ImportFileType,
  attempt: z.number().int().positive(),
  requeued_tasks: count,
});
export type ClaimRetryResult = z.infer<typeof ClaimRetryResultSchema>;

/** What `rpc('check_rate_limit', {p_action})` returns. */
export const RateLimitResultSchema = z.object({
  allowed: z.boolean(),
  retry_after_seconds: count,
  remaining: count,
});
export type RateLimitResult = z.infer<typeof RateLimitResultSchema>;

/** A PostgREST error body as supabase-js exposes it (`{code, message, details, hint}`). */
export interface PostgrestErrorLike {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
}

/** A database refusal in meaningful terms. */
export interface DbRefusal {
  /** HTTP status PostgREST answered (from SQLSTATE `PTxyz`). */
  status: number;
  reason: DbReason;
  message: string;
  /** From the hint of a `rate_limited` refusal. */
  retryAfterSeconds: number | null;
  /** The parsed hint, when it was JSON. */
  hint: Record<string, unknown> | null;
}

/**
 * Reads one of our RPC refusals out of a PostgREST error; null when the error is not one
 * (a network failure, an unknown SQLSTATE, a reason code this version does not know).
 */
export function parseDbRefusal(error: PostgrestErrorLike | null | undefined): DbRefusal | null {
  const code = error?.code ?? "";
  const match = /^PT(\d{3})$/.exec(code);
  const reason = DbReason.safeParse(error?.details);
  if (!match || !reason.success) return null;
  let hint: Record<string, unknown> | null = null;
  if (error?.hint) {
    try {
      const parsed: unknown = JSON.parse(error.hint);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) hint = parsed as Record<string, unknown>;
    } catch {
      hint = null;
    }
  }
  const wait = hint?.["retry_after_seconds"];
  return {
    status: Number(match[1]),
    reason: reason.data,
    message: error?.message ?? reason.data,
    retryAfterSeconds: typeof wait === "number" ? wait : null,
    hint,
  };
}

/** A short English sentence for why a retry is not offered (UI banner). */
export function retryBlockedMessage(reason: RetryBlockedReason, retryAfterSeconds?: number | null): string {
  switch (reason) {
    case "not_failed":
      return "There is nothing to retry.";
    case "no_export":
      return "The uploaded export is gone; import it again.";
    case "too_many_attempts":
      return "This import has been retried too many times; rebuild or import again.";
    case "rate_limited":
      return retryAfterSeconds
        ? `Too many retries; try again in ${retryAfterSeconds} s.`
        : "Too many retries; try again shortly.";
    case "permanent_failure":
      return "This failure cannot be fixed by retrying; rebuild or import again.";
    case "in_progress":
      return "The import is still running.";
  }
}
