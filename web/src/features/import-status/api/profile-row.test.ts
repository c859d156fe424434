import { describe, expect, it } from "vitest";
import { ImportStatusSchema } from "../../../../../shared/import-status.ts";
import { failedStatus, importStatus } from "../../../test/import-status-fixture.ts";
import { applyProfileRow } from "./profile-row.ts";

/** A full `user_profiles` row as Realtime delivers it in `payload.new`. */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77",
    import_status: "quick_ready",
    import_stage: "Building deep memory",
    progress_percent: 55,
    import_error: null,
    processing_started_at: "2026-11-29T10:00:00.000Z",
    storage_path: "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77/7b0e8a52-32c1-4b8e-9a53-1c4f3f8f3c11/",
    file_type: "shards",
    import_id: "7b0e8a52-32c1-4b8e-9a53-1c4f3f8f3c11",
    full_pass_status: "processing",
    full_pass_error: null,
    full_pass_error_kind: null,
    full_pass_started_at: "2026-11-29T10:00:00.000Z",
    full_pass_completed_at: null,
    full_pass_attempts: 1,
    failed_items: 0,
    total_items: 40,
    done_items: 22,
    conversation_count: 1234,
    current_run_id: "3d0c9f5e-1b6a-4a8e-8c7d-2e9f4b1a6c55",
    last_heartbeat_at: "2026-11-29T10:02:00.000Z",
    created_at: "2026-11-29T09:00:00.000Z",
    updated_at: "2026-11-29T10:02:00.000Z",
    ...overrides,
  };
}

describe("applyProfileRow", () => {
  it("applyProfileRow() copies the mirrored columns of the row over the cached status", () => {
    const next = applyProfileRow(importStatus(), row({ progress_percent: 55, done_items: 22, import_stage: "Indexing" }));
    expect(next?.progress_percent).toBe(55);
    expect(next?.done_items).toBe(22);
    expect(next?.import_stage).toBe("Indexing");
    expect(next?.updated_at).toBe("2026-11-29T10:02:00.000Z");
    // Derived fields the row does not carry are kept until the refetch replaces them.
    expect(next?.chunk_count).toBe(5000);
    expect(next?.max_attempts).toBe(5);
    expect(() => ImportStatusSchema.parse(next)).not.toThrow();
  });

  it("applyProfileRow() does not add row-only columns such as user_id to the status", () => {
    const next = applyProfileRow(importStatus(), row()) as Record<string, unknown>;
    expect(next).not.toHaveProperty("user_id");
    expect(next).not.toHaveProperty("current_run_id");
    expect(next).not.toHaveProperty("created_at");
  });

  it("applyProfileRow() turns Retry off at once when the row says processing again", () => {
    const next = applyProfileRow(failedStatus(), row({ full_pass_status: "processing", full_pass_attempts: 2 }));
    expect(next?.full_pass_status).toBe("processing");
    expect(next?.full_pass_error).toBeNull();
    expect(next?.can_retry).toBe(false);
    expect(next?.retry_blocked_reason).toBe("in_progress");
    expect(next?.stale).toBe(false);
  });

  it("applyProfileRow() carries a failure with its reason and keeps can_retry for the refetch to decide", () => {
    const next = applyProfileRow(importStatus(), row({ full_pass_status: "failed", full_pass_error: "worker stopped", full_pass_error_kind: "retryable" }));
    expect(next?.full_pass_status).toBe("failed");
    expect(next?.full_pass_error).toBe("worker stopped");
    expect(next?.can_retry).toBe(false);
  });

  it("applyProfileRow() keeps a cached field when the row lacks that column (partial payload)", () => {
    const next = applyProfileRow(importStatus({ total_items: 40 }), { progress_percent: 60 });
    expect(next?.total_items).toBe(40);
    expect(next?.progress_percent).toBe(60);
  });

  it("applyProfileRow() leaves nothing cached when the first fetch has not answered yet", () => {
    expect(applyProfileRow(undefined, row())).toBeUndefined();
  });

  it("applyProfileRow() does not change the previous object (react-query needs a new reference)", () => {
    const previous = importStatus();
    const next = applyProfileRow(previous, row({ progress_percent: 90 }));
    expect(next).not.toBe(previous);
    expect(previous.progress_percent).toBe(42);
  });
});
