/** A task as `worker_lease_tasks` hands it out. */
export interface LeasedTask {
  id: number;
  run_id: string;
  user_id: string;
  kind: "normalize" | "quick_pass" | "shard" | "finalize";
  payload: Record<string, unknown>;
  checkpoint: Record<string, unknown> | null;
  attempts: number;
  max_attempts?: number;
  storage_path: string;
  file_type: "json" | "zip" | "shards";
  import_id: string;
}

/** A task to add to a run (`worker_add_tasks`); the idempotency key makes adding it twice harmless. */
export interface NewTask {
  kind: LeasedTask["kind"];
  idempotency_key: string;
  payload: Record<string, unknown>;
}

/** What a task reports when it ends its step. */
export type TaskOutcome =
  /** Finished: complete the task with this result. */
  | { type: "done"; result: Record<string, unknown> }
  /** Out of budget: progress is saved in `checkpoint`; continue in a fresh invocation. */
  | { type: "yield"; checkpoint: Record<string, unknown> }
  /** Another worker owns the task now (heartbeat said so): drop it without writing. */
  | { type: "lost" };

/** A failure with a kind: `retryable` (backoff and retry) or `permanent` (fails the run). */
export class TaskError extends Error {
  readonly kind: "retryable" | "permanent";
  constructor(kind: "retryable" | "permanent", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TaskError";
    this.kind = kind;
  }
}
