import { isExportError } from "../../../shared/errors.ts";
import { Budget, cpuMs, heapBytes, rssBytes } from "./budget.ts";
import type { TaskContext, TaskStep } from "./context.ts";
import type { WorkerDb } from "./db.ts";
import { FaultPlan, InjectedFailure } from "./faults.ts";
import type { ExportStore } from "./store.ts";
import { type LeasedTask, TaskError } from "./types.ts";

/** Tuning of one invocation (defaults in env.ts fit the hosted limits). */
export interface RunnerOptions {
  /** CPU an invocation may spend; a step saves and yields once it passes this. */
  cpuBudgetMs: number;
  /** Wall clock an invocation may spend (well under the hosted 150 s). */
  wallBudgetMs: number;
  leaseSeconds: number;
  /** Stop re-invoking after this many links in one chain (the sweep restarts a stopped chain). */
  maxChain: number;
}

/** Everything an invocation talks to. */
export interface RunnerDeps {
  db: WorkerDb;
  store: ExportStore;
  steps: Record<LeasedTask["kind"], TaskStep>;
  options: RunnerOptions;
  faultsEnabled: boolean;
  /** Starts the next invocation in the background (EdgeRuntime.waitUntil(fetch(self))). */
  reinvoke: (body: WorkerRequest) => void;
  exit: (code: number) => never | void;
  sleep: (ms: number) => Promise<void>;
  newWorkerId?: () => string;
  log?: (message: string) => void;
  clocks?: { cpu?: () => number; wall?: () => number };
}

/** Body of a worker request: a plain kick, or the continuation of a task whose lease we still hold. */
export interface WorkerRequest {
  reason?: string;
  runId?: string;
  chain?: number;
  resume?: { task: LeasedTask; worker: string };
}

/** What one task step cost and how it ended (also printed by the bench). */
export interface StepReport {
  taskId: number;
  kind: LeasedTask["kind"];
  outcome: "done" | "yield" | "lost" | "failed";
  cpuMs: number;
  wallMs: number;
  rssBytes: number;
  heapBytes: number;
  error?: string;
}

/** What one invocation did. */
export interface InvocationReport {
  worker: string;
  steps: StepReport[];
  /** Why the invocation stopped. */
  stopped: "idle" | "budget" | "yield" | "chain_limit";
  reinvoked: boolean;
  cpuMs: number;
  wallMs: number;
}

/**
 * One worker invocation: continue the task handed over by the previous invocation (if any), then
 * lease and run tasks one at a time while less than 40 % of the budget is used. A step that runs out
 * of budget saves a checkpoint with its heartbeat and the invocation re-invokes itself with that
 * task (the lease stays ours). Whenever work may remain, the next invocation is started.
 */
export async function runInvocation(deps: RunnerDeps, request: WorkerRequest = {}): Promise<InvocationReport> {
  const log = deps.log ?? ((m: string) => console.log(m));
  const budget = new Budget(deps.options.cpuBudgetMs, deps.options.wallBudgetMs, deps.clocks);
  const chain = request.chain ?? 0;
  const worker = request.resume?.worker ?? deps.newWorkerId?.() ?? `worker-${crypto.randomUUID()}`;
  const report: InvocationReport = { worker, steps: [], stopped: "idle", reinvoked: false, cpuMs: 0, wallMs: 0 };
  const finish = (stopped: InvocationReport["stopped"], next?: WorkerRequest): InvocationReport => {
    report.stopped = stopped;
    if (next && chain + 1 < deps.options.maxChain) {
      deps.reinvoke({ ...next, chain: chain + 1 });
      report.reinvoked = true;
    } else if (next) {
      report.stopped = "chain_limit";
    }
    report.cpuMs = budget.cpuUsed();
    report.wallMs = budget.wallUsed();
    // One machine-readable line per invocation (the bench and operators read these from the logs).
    log(`engram-invocation ${JSON.stringify({
      worker: report.worker,
      stopped: report.stopped,
      cpuMs: Math.round(report.cpuMs),
      wallMs: Math.round(report.wallMs),
      steps: report.steps.map((s) => ({ kind: s.kind, outcome: s.outcome, cpuMs: Math.round(s.cpuMs), rssMb: +(s.rssBytes / 1048576).toFixed(1), heapMb: +(s.heapBytes / 1048576).toFixed(1) })),
    })}`);
    return report;
  };

  let pending: LeasedTask[] = request.resume ? [request.resume.task] : [];
  while (true) {
    let task = pending.shift();
    if (!task) {
      // Start another task only with most of the budget left: its first batch also reads its input.
      if (!budget.roomFor(0.4)) return finish("budget", { reason: "continue" });
      task = (await deps.db.lease(worker, 1, deps.options.leaseSeconds))[0];
      if (!task) return finish("idle");
    }
    const step = await runStep(deps, task, worker, budget, log);
    report.steps.push(step.report);
    if (step.report.outcome === "yield" && step.next) {
      return finish("yield", { reason: "resume", resume: { task: step.next, worker } });
    }
  }
}

async function runStep(
  deps: RunnerDeps,
  task: LeasedTask,
  worker: string,
  invocationBudget: Budget,
  log: (m: string) => void,
): Promise<{ report: StepReport; next?: LeasedTask }> {
  const cpu0 = (deps.clocks?.cpu ?? cpuMs)();
  const wall0 = performance.now();
  const report = (outcome: StepReport["outcome"], error?: string): StepReport => ({
    taskId: task.id,
    kind: task.kind,
    outcome,
    cpuMs: (deps.clocks?.cpu ?? cpuMs)() - cpu0,
    wallMs: performance.now() - wall0,
    rssBytes: rssBytes(),
    heapBytes: heapBytes(),
    ...(error ? { error } : {}),
  });

  let leaseSeconds = deps.options.leaseSeconds;
  try {
    const faults = await FaultPlan.load(deps.faultsEnabled, deps.db, task, { exit: deps.exit, sleep: deps.sleep });
    const shorter = faults.leaseSeconds();
    if (shorter !== null) {
      leaseSeconds = shorter;
      if (!(await deps.db.heartbeat(task.id, worker, leaseSeconds))) return { report: report("lost") };
    }
    const ctx: TaskContext = {
      task,
      db: deps.db,
      store: deps.store,
      budget: invocationBudget,
      faults,
      heartbeat: (checkpoint) => deps.db.heartbeat(task.id, worker, leaseSeconds, checkpoint),
      log: (m) => log(`[${worker.slice(0, 15)} task ${task.id} ${task.kind}] ${m}`),
    };
    await faults.beforeTask();
    const outcome = await deps.steps[task.kind](ctx);
    if (outcome.type === "lost") return { report: report("lost") };
    if (outcome.type === "yield") {
      const kept = await deps.db.heartbeat(task.id, worker, leaseSeconds, outcome.checkpoint);
      if (!kept) return { report: report("lost") };
      return { report: report("yield"), next: { ...task, checkpoint: outcome.checkpoint } };
    }
    const { run_done } = await deps.db.complete(task.id, worker, outcome.result);
    // The last task of a run settles it (final statuses, failed-item counts); the sweep does the
    // same for a run whose worker died right here.
    if (run_done) await deps.db.finishRun(task.run_id);
    return { report: report("done") };
  } catch (error) {
    const { kind, message } = describeFailure(error);
    log(`[task ${task.id} ${task.kind}] ${kind} failure: ${message}`);
    try {
      if (error instanceof InjectedFailure && error.final) await deps.db.exhaustAttempts(task.id, worker);
      // SQL decides: retry with backoff, an item failure (permanent shard), or a failed run (a
      // shard out of attempts on transient errors, or any other task failing for good).
      await deps.db.fail(task.id, worker, message, kind);
    } catch (e) {
      log(`[task ${task.id}] could not record the failure (the sweep will requeue it): ${String(e)}`);
    }
    return { report: report("failed", message) };
  }
}

/** The kind and a human reason for anything a step threw. */
export function describeFailure(error: unknown): { kind: "retryable" | "permanent"; message: string } {
  if (error instanceof TaskError) return { kind: error.kind, message: error.message };
  if (isExportError(error)) {
    return {
      kind: "permanent",
      message: `The export could not be read: ${error.message}. Please export your data again and re-upload it.`,
    };
  }
  if (error instanceof RangeError && /memory|allocation/i.test(error.message)) {
    return { kind: "permanent", message: `A part of the export is too large to process: ${error.message}` };
  }
  return { kind: "retryable", message: `Temporary problem: ${error instanceof Error ? error.message : String(error)}` };
}
