import { ImportStatusSchema, type ImportStatus } from "../../../shared/import-status.ts";

/**
 * A valid `get_import_status()` answer (checked against the shared schema) for a user whose quick
 * pass is done and whose full pass is running, with `overrides` applied.
 */
export function importStatus(overrides: Partial<ImportStatus> = {}): ImportStatus {
  return ImportStatusSchema.parse({
    import_status: "quick_ready",
    import_stage: "Building deep memory",
    progress_percent: 42,
    import_error: null,
    import_id: "7b0e8a52-32c1-4b8e-9a53-1c4f3f8f3c11",
    storage_path: "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77/7b0e8a52-32c1-4b8e-9a53-1c4f3f8f3c11/",
    file_type: "shards",
    full_pass_status: "processing",
    full_pass_error: null,
    full_pass_error_kind: null,
    full_pass_started_at: "2026-11-29T10:00:00.000Z",
    full_pass_completed_at: null,
    full_pass_attempts: 1,
    max_attempts: 5,
    failed_items: 0,
    total_items: 40,
    done_items: 17,
    conversation_count: 1234,
    chunk_count: 5000,
    fact_count: 80,
    run_id: "3d0c9f5e-1b6a-4a8e-8c7d-2e9f4b1a6c55",
    run_status: "running",
    stale: false,
    last_heartbeat_at: "2026-11-29T10:01:00.000Z",
    can_retry: false,
    retry_blocked_reason: "in_progress",
    retry_after_seconds: null,
    updated_at: "2026-11-29T10:01:00.000Z",
    ...overrides,
  });
}

/** A full pass that failed with a retryable error and may be retried. */
export function failedStatus(overrides: Partial<ImportStatus> = {}): ImportStatus {
  return importStatus({
    full_pass_status: "failed",
    full_pass_error: "the model provider rate-limited us",
    full_pass_error_kind: "retryable",
    run_status: "failed",
    can_retry: true,
    retry_blocked_reason: null,
    ...overrides,
  });
}
