import { z } from "zod";
import { serviceClient } from "../_shared/clients.ts";
import { waitUntil } from "../_shared/edge-runtime.ts";
import { type Env, faultsEnabled } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import { bearerToken, json, readJson } from "../_shared/http.ts";
import { kickWorker } from "../_shared/kick.ts";
import { WorkerDb } from "./db.ts";
import { type RunnerDeps, runInvocation, type WorkerRequest } from "./runner.ts";
import { ExportStore } from "./store.ts";
import { STEPS } from "./tasks/index.ts";

const TaskShape = z.looseObject({
  id: z.number(),
  run_id: z.string(),
  user_id: z.string(),
  kind: z.enum(["normalize", "quick_pass", "shard", "finalize"]),
  payload: z.record(z.string(), z.unknown()),
  checkpoint: z.record(z.string(), z.unknown()).nullable(),
  attempts: z.number(),
  storage_path: z.string(),
  file_type: z.enum(["json", "zip", "shards"]),
  import_id: z.string(),
});

/** The worker's request body (sent only by the system: triggers, the sweep, itself). */
export const WorkerBody = z.looseObject({
  reason: z.string().max(100).optional(),
  runId: z.string().optional(),
  chain: z.number().int().min(0).optional(),
  resume: z.strictObject({ task: TaskShape, worker: z.string().min(1).max(100) }).optional(),
});

/**
 * Whether the bearer token is the service role: the exact `SUPABASE_SERVICE_ROLE_KEY`, or a JWT
 * whose `role` claim is `service_role` (its signature was checked by the platform, `verify_jwt =
 * true` in config.toml).
 */
export function isServiceRole(token: string, e: Env): boolean {
  if (token === e.SUPABASE_SERVICE_ROLE_KEY) return true;
  const payload = token.split(".")[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    return claims?.role === "service_role";
  } catch {
    return false;
  }
}

/** What the worker needs besides the environment; tests replace the process-level hooks. */
export interface WorkerHandlerDeps {
  env: Env;
  fetch?: typeof fetch;
  /** Runs the invocation in the background (default EdgeRuntime.waitUntil). */
  background?: (work: Promise<unknown>) => void;
  exit?: (code: number) => never | void;
}

/** Builds the runner's dependencies from the environment. */
export function runnerDeps(deps: WorkerHandlerDeps): RunnerDeps {
  const e = deps.env;
  const client = serviceClient(e, deps.fetch);
  return {
    db: new WorkerDb(client),
    store: new ExportStore(client, { url: e.SUPABASE_URL, key: e.SUPABASE_SERVICE_ROLE_KEY, fetch: deps.fetch }),
    steps: STEPS,
    options: {
      cpuBudgetMs: e.WORKER_CPU_BUDGET_MS,
      wallBudgetMs: e.WORKER_WALL_BUDGET_MS,
      leaseSeconds: e.WORKER_LEASE_SECONDS,
      maxChain: e.WORKER_MAX_CHAIN,
    },
    faultsEnabled: faultsEnabled(e),
    reinvoke: (body) => (deps.background ?? waitUntil)(kickWorker(e, body as Record<string, unknown>, deps.fetch)),
    exit: deps.exit ?? ((code) => Deno.exit(code)),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/**
 * POST with the service-role key → 202 at once; the invocation runs in the background
 * (leases, runs and re-invokes, see runner.ts). A user JWT → 403, no token → 401.
 */
export async function handleWorker(req: Request, deps: WorkerHandlerDeps): Promise<Response> {
  const token = bearerToken(req);
  if (!token) throw new HttpError(401, "missing Authorization: Bearer <service role key>");
  if (!isServiceRole(token, deps.env)) {
    throw new HttpError(403, "import-worker is called by the system only (service role)", {
      details: { reason: "service_role_required" },
    });
  }
  const parsed = WorkerBody.safeParse((await readJson(req, {})) ?? {});
  if (!parsed.success) throw new HttpError(400, `invalid worker request: ${parsed.error.message}`);
  const request = parsed.data as WorkerRequest;
  const work = runInvocation(runnerDeps(deps), request);
  (deps.background ?? waitUntil)(work);
  return json(202, { accepted: true });
}
