import type { Budget } from "./budget.ts";
import type { WorkerDb } from "./db.ts";
import type { FaultPlan } from "./faults.ts";
import type { ExportStore } from "./store.ts";
import type { LeasedTask, TaskOutcome } from "./types.ts";

/** What a task step gets: its leased task, the database, Storage, the budget, its faults. */
export interface TaskContext {
  task: LeasedTask;
  db: WorkerDb;
  store: ExportStore;
  budget: Budget;
  faults: FaultPlan;
  /** Extends the lease and saves progress; false = the lease was lost, stop without writing. */
  heartbeat(checkpoint?: Record<string, unknown>): Promise<boolean>;
  log(message: string): void;
}

/** One kind of task: does one bounded step, then finishes, yields with a checkpoint, or throws. */
export type TaskStep = (ctx: TaskContext) => Promise<TaskOutcome>;
