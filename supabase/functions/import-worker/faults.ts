import type { FaultRow, WorkerDb } from "./db.ts";
import type { LeasedTask } from "./types.ts";
import { TaskError } from "./types.ts";

/**
 * Fault injection for tests — honoured only on the local stack (see env.ts `faultsEnabled`):
 * rows in `engram_private.fault_injections` (written by tests as superuser; never by users) are
 * matched per user, task kind and optional shard index, and consumed atomically by
 * `worker_take_faults`:
 * - `fail` / `fail_permanent`: the task throws a retryable / permanent error before it starts
 *   (`final`: its remaining attempts are used up first, so the failure is final at once instead of
 *   after the backoff schedule);
 * - `delay`: the task waits `delay_ms` before it starts;
 * - `kill`: the worker process exits (`Deno.exit`) after `after_items` items of the task;
 * - `lease`: the task's lease is shortened to `lease_seconds` (so a killed worker's task is
 *   requeued quickly by the sweep).
 */
export class FaultPlan {
  private killAfter: number | null = null;
  private items = 0;

  constructor(
    private readonly rows: FaultRow[],
    private readonly hooks: { exit: (code: number) => never | void; sleep: (ms: number) => Promise<void> },
  ) {
    const kill = rows.find((r) => r.action === "kill");
    if (kill) this.killAfter = Math.max(0, kill.after_items ?? 0);
  }

  /** No faults at all. */
  static none(): FaultPlan {
    return new FaultPlan([], { exit: () => {}, sleep: () => Promise.resolve() });
  }

  /** Loads the faults that fire for `task` (nothing when fault injection is off). */
  static async load(
    enabled: boolean,
    db: WorkerDb,
    task: LeasedTask,
    hooks: { exit: (code: number) => never | void; sleep: (ms: number) => Promise<void> },
  ): Promise<FaultPlan> {
    if (!enabled) return FaultPlan.none();
    const shard = typeof task.payload.shard === "number" ? task.payload.shard : null;
    return new FaultPlan(await db.takeFaults(task.user_id, task.kind, shard), hooks);
  }

  /** A shorter lease asked for by a `lease` row, else null. */
  leaseSeconds(): number | null {
    return this.rows.find((r) => r.action === "lease")?.lease_seconds ?? null;
  }

  /** Runs `delay` and `fail*` rows; call before the task does any work. */
  async beforeTask(): Promise<void> {
    for (const r of this.rows) if (r.action === "delay" && r.delay_ms) await this.hooks.sleep(r.delay_ms);
    const fail = this.rows.find((r) => r.action === "fail" || r.action === "fail_permanent");
    if (fail) {
      throw new InjectedFailure(
        fail.action === "fail" ? "retryable" : "permanent",
        fail.message ?? `injected ${fail.action === "fail" ? "transient" : "permanent"} failure`,
        fail.final === true,
      );
    }
    if (this.killAfter === 0) this.hooks.exit(137);
  }

  /** Counts `n` finished items; exits the process when a `kill` row's count is reached. */
  itemsDone(n = 1): void {
    this.items += n;
    if (this.killAfter !== null && this.items >= this.killAfter) this.hooks.exit(137);
  }
}

/** A failure thrown by a `fail` fault row. */
export class InjectedFailure extends TaskError {
  constructor(kind: "retryable" | "permanent", message: string, readonly final: boolean) {
    super(kind, message);
    this.name = "InjectedFailure";
  }
}
