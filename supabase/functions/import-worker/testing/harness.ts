import { createClient } from "@supabase/supabase-js";
import { FAKE_URL } from "../../_shared/testing/fake-http.ts";
import { FAKE_SERVICE_KEY } from "../../_shared/testing/env.ts";
import { WorkerDb } from "../db.ts";
import { type InvocationReport, type RunnerDeps, type RunnerOptions, runInvocation, type WorkerRequest } from "../runner.ts";
import { ExportStore } from "../store.ts";
import { STEPS } from "../tasks/index.ts";
import type { FakePlatform } from "./fake-platform.ts";

/** A CPU clock the test moves by hand (e.g. on every Storage write). */
export class ManualClock {
  now = 0;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Runner dependencies wired to a FakePlatform; re-invocations are queued, not fetched. */
export function fakeRunner(p: FakePlatform, options: Partial<RunnerOptions> = {}, cpu?: ManualClock) {
  const client = createClient(FAKE_URL, FAKE_SERVICE_KEY, { global: { fetch: p.api.fetch }, auth: { persistSession: false } });
  const queued: WorkerRequest[] = [];
  const deps: RunnerDeps = {
    db: new WorkerDb(client),
    store: new ExportStore(client, { url: FAKE_URL, key: FAKE_SERVICE_KEY, fetch: p.api.fetch }),
    steps: STEPS,
    options: { cpuBudgetMs: 1000, wallBudgetMs: 60_000, leaseSeconds: 30, maxChain: 10_000, ...options },
    faultsEnabled: false,
    reinvoke: (body) => void queued.push(body),
    exit: (code) => {
      throw new Error(`worker exited with ${code}`);
    },
    sleep: () => Promise.resolve(),
    log: () => {},
    ...(cpu ? { clocks: { cpu: () => cpu.now } } : {}),
  };
  /** Runs invocations until none is re-invoked (or `max` is reached); returns their reports. */
  async function drain(max = 1000): Promise<InvocationReport[]> {
    const reports = [await runInvocation(deps, {})];
    while (queued.length > 0 && reports.length < max) reports.push(await runInvocation(deps, queued.shift()!));
    return reports;
  }
  return { deps, queued, drain };
}
