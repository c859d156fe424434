import { existsSync, watch, type FSWatcher } from "node:fs";
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { apiUrl, dbUrl, type StackConfig } from "../config.ts";
import { CORS_HEADERS, sendJson } from "../http.ts";
import { verifyHs256 } from "../jwt.ts";
import type { ApiRequest, Surface, SurfaceContext } from "../surface.ts";
import { readSecrets, SettingsFile } from "./settings.ts";
import { BootError, FunctionWorker, type WorkerSpec } from "./worker.ts";

/** Hosted Edge Function limits this stack applies (https://supabase.com/docs/guides/functions/limits). */
export interface FunctionLimits {
  /** Memory per worker in MB: V8 heap cap and growth of resident memory after boot. Hosted: 256. */
  memoryMb: number;
  /** Wall clock per request in ms. Hosted (paid plans): 400 s. */
  wallClockMs: number;
  /** CPU per request in ms, enforced only with `cfg.strictCpu`. Hosted: 2 s. */
  cpuMs: number;
  /** Time a module may take to call `Deno.serve`. */
  bootTimeoutMs: number;
}

/** The limits of hosted Supabase. */
export const HOSTED_LIMITS: FunctionLimits = {
  memoryMb: 256,
  wallClockMs: 400_000,
  cpuMs: 2_000,
  bootTimeoutMs: 30_000,
};

/** Error bodies of the Supabase edge runtime (supabase/cli functions/serve/templates/main.ts). */
const RUNTIME_ERRORS = {
  BOOT_ERROR: { status: 503, message: "Worker failed to boot (please check logs)" },
  WORKER_ERROR: { status: 500, message: "Function exited due to an error (please check logs)" },
  WORKER_LIMIT: {
    status: 546,
    message: "Worker failed to respond due to a resource limit (please check logs)",
  },
} as const;

/** Slugs the Supabase CLI accepts as function names. */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Response header carrying the CPU time (ms) the worker's JS thread spent until the headers. */
export const CPU_HEADER = "x-engram-cpu-ms";

/** Hop-by-hop headers that must not be copied between the two HTTP connections. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

interface InFlight {
  worker: FunctionWorker;
  cpuStart: number | undefined;
}

/**
 * `/functions/v1/<name>[/…]`: runs `<functionsDir>/<name>/index.ts` unmodified in its own
 * Deno process (started on first use, kept warm, restarted after a crash or a source change),
 * with `verify_jwt` from `config.toml`, the hosted env, and the hosted limits.
 */
export function createFunctionsSurface(
  ctx: SurfaceContext,
  limits: FunctionLimits = HOSTED_LIMITS,
): Surface {
  const { cfg, log } = ctx;
  const repoRoot = path.dirname(cfg.supabaseDir);
  const settings = new SettingsFile(path.join(cfg.supabaseDir, "config.toml"));
  const workers = new Map<string, { promise: Promise<FunctionWorker>; worker?: FunctionWorker }>();
  const retired = new Set<FunctionWorker>();
  const inFlight = new Set<InFlight>();
  /** Booted workers whose process is still running. */
  const live = new Set<FunctionWorker>();
  const watchers: FSWatcher[] = [];
  let monitor: NodeJS.Timeout | undefined;

  function findEntry(name: string): string | undefined {
    const custom = settings.get(name).entrypoint;
    if (custom) {
      const entry = path.resolve(cfg.supabaseDir, custom);
      return existsSync(entry) ? entry : undefined;
    }
    for (const dir of cfg.functionsDirs) {
      const entry = path.join(dir, name, "index.ts");
      if (existsSync(entry)) return entry;
    }
    return undefined;
  }

  function workerFor(name: string, entryFile: string): Promise<FunctionWorker> {
    const existing = workers.get(name);
    // A worker killed a moment ago stays in the map until its process is reaped: replace it.
    if (existing && (!existing.worker || existing.worker.alive)) return existing.promise;
    // Like the CLI: the function folder's own deno.json wins over the project's.
    const configFile = [path.dirname(entryFile), repoRoot]
      .flatMap((dir) => [path.join(dir, "deno.json"), path.join(dir, "deno.jsonc")])
      .find((file) => existsSync(file));
    const importMap = settings.get(name).importMap;
    const spec: WorkerSpec = {
      name,
      entry: entryFile,
      cwd: repoRoot,
      configFile,
      importMap: importMap ? path.resolve(cfg.supabaseDir, importMap) : undefined,
      env: functionEnv(cfg),
      memoryMb: limits.memoryMb,
      bootTimeoutMs: limits.bootTimeoutMs,
      log,
    };
    const started = performance.now();
    const slot: { promise: Promise<FunctionWorker>; worker?: FunctionWorker } = {
      promise: FunctionWorker.start(spec).then(
        (worker) => {
          log(`functions: booted ${name} in ${Math.round(performance.now() - started)}ms (pid ${worker.pid})`);
          slot.worker = worker;
          live.add(worker);
          void worker.exited.then(() => {
            live.delete(worker);
            if (workers.get(name) === slot) workers.delete(name);
          });
          return worker;
        },
        (error: unknown) => {
          if (workers.get(name) === slot) workers.delete(name);
          throw error;
        },
      ),
    };
    workers.set(name, slot);
    return slot.promise;
  }

  /** Drops every warm worker; each stops once its in-flight requests are done. */
  function retireAll(): void {
    const all = [...workers.values()];
    workers.clear();
    for (const { promise } of all) {
      promise.then(
        (worker) => {
          retired.add(worker);
          if (worker.inFlight === 0) void worker.stop().finally(() => retired.delete(worker));
        },
        () => {},
      );
    }
  }

  /** Enforces memory (always) and CPU (`cfg.strictCpu`) limits while requests run. */
  function checkLimits(): void {
    const seen = new Set<FunctionWorker>();
    for (const request of inFlight) {
      const { worker } = request;
      if (!worker.alive) continue;
      if (cfg.strictCpu && request.cpuStart !== undefined) {
        const used = (worker.cpuMs() ?? request.cpuStart) - request.cpuStart;
        if (used > limits.cpuMs) {
          log(`functions: ${worker.spec.name} used ${Math.round(used)}ms CPU (limit ${limits.cpuMs}ms), killed`);
          worker.kill("cpu");
          continue;
        }
      }
      seen.add(worker);
    }
    for (const worker of live) if (worker.alive && worker.background > 0) seen.add(worker);
    for (const worker of seen) {
      const grown = (worker.rssBytes() ?? 0) - worker.baselineRss;
      if (grown > limits.memoryMb * 1024 * 1024) {
        log(`functions: ${worker.spec.name} grew ${Math.round(grown / 1048576)}MB (limit ${limits.memoryMb}MB), killed`);
        worker.kill("memory");
      }
    }
  }

  async function handle({ req, res, path: subpath, url }: ApiRequest): Promise<void> {
    const segment = subpath.match(/^\/([^/]+)/)?.[1];
    let name = "";
    try {
      name = segment ? decodeURIComponent(segment) : "";
    } catch {
      name = "";
    }
    const entry = FUNCTION_NAME.test(name) ? findEntry(name) : undefined;
    if (!entry || !settings.get(name).enabled) {
      sendText(res, 404, "Function not found");
      return;
    }
    if (req.method !== "OPTIONS" && settings.get(name).verifyJwt) {
      const refusal = await checkJwt(cfg, req.headers.authorization);
      if (refusal) {
        sendOwnJson(res, 401, { msg: refusal });
        return;
      }
    }
    let worker: FunctionWorker;
    try {
      worker = await workerFor(name, entry);
    } catch (error) {
      if (!(error instanceof BootError)) throw error;
      log(`functions: ${error.message}`);
      sendRuntimeError(res, "BOOT_ERROR");
      return;
    }
    await proxy(worker, req, res, subpath + url.search);
  }

  function proxy(worker: FunctionWorker, req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    return new Promise((resolve) => {
      const started = performance.now();
      const request: InFlight = { worker, cpuStart: worker.cpuMs() };
      inFlight.add(request);
      worker.inFlight++;
      let settled = false;
      const cpuSoFar = () =>
        request.cpuStart === undefined ? undefined : (worker.cpuMs() ?? request.cpuStart) - request.cpuStart;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(wallClock);
        inFlight.delete(request);
        worker.inFlight--;
        if (retired.has(worker) && worker.inFlight === 0) {
          void worker.stop().finally(() => retired.delete(worker));
        }
        if (cfg.logRequests) {
          const cpu = cpuSoFar();
          log(
            `functions: ${worker.spec.name} ${req.method} ${res.statusCode} ` +
              `wall=${(performance.now() - started).toFixed(1)}ms cpu=${cpu === undefined ? "?" : cpu.toFixed(1)}ms`,
          );
        }
        resolve();
      };

      const headers = { ...req.headers };
      for (const name of HOP_BY_HOP) delete headers[name];
      if (req.headers["transfer-encoding"]) headers["transfer-encoding"] = req.headers["transfer-encoding"];
      const upstream = http.request({
        host: "127.0.0.1",
        port: worker.port,
        method: req.method,
        path: target,
        headers,
        agent: worker.agent,
      });

      const wallClock = setTimeout(() => {
        log(`functions: ${worker.spec.name} exceeded the ${limits.wallClockMs}ms wall clock limit`);
        upstream.destroy();
        if (!res.headersSent) sendRuntimeError(res, "WORKER_LIMIT");
        else res.destroy();
        finish();
      }, limits.wallClockMs);

      upstream.on("response", (upstreamRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstreamRes.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        const cpu = cpuSoFar();
        if (cpu !== undefined) out[CPU_HEADER] = cpu.toFixed(1);
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, out);
        upstreamRes.pipe(res);
        upstreamRes.on("aborted", () => res.destroy());
        upstreamRes.on("error", () => res.destroy());
      });

      upstream.on("error", () => {
        if (settled) return;
        void (async () => {
          // The process may still be going down: give it a moment to say why.
          const reason = worker.exitReason ?? (await Promise.race([worker.exited, delay(500)]));
          if (res.headersSent) res.destroy();
          else sendRuntimeError(res, reason === "memory" || reason === "cpu" ? "WORKER_LIMIT" : "WORKER_ERROR");
          finish();
        })();
      });

      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
        finish();
      });
      req.pipe(upstream);
    });
  }

  return {
    prefix: "/functions/v1",
    ownsCors: true,
    handle,
    async start() {
      monitor = setInterval(checkLimits, 100);
      monitor.unref();
      for (const dir of cfg.functionsDirs) {
        if (!existsSync(dir)) continue;
        try {
          let timer: NodeJS.Timeout | undefined;
          const watcher = watch(dir, { recursive: true }, () => {
            clearTimeout(timer);
            timer = setTimeout(retireAll, 150);
          });
          watcher.on("error", () => {});
          watchers.push(watcher);
        } catch {
          // No file watching here: source changes need a restart.
        }
      }
    },
    async stop() {
      clearInterval(monitor);
      for (const watcher of watchers.splice(0)) watcher.close();
      const all = [...[...workers.values()].map((e) => e.promise), ...[...retired].map((w) => Promise.resolve(w))];
      workers.clear();
      await Promise.all(all.map((p) => p.then((w) => w.stop(), () => {})));
    },
  };
}

/** The env the hosted runtime gives every function, plus `supabase/functions/.env` secrets. */
export function functionEnv(cfg: StackConfig): Record<string, string> {
  const env: Record<string, string> = {
    HOME: process.env.HOME ?? os.homedir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
  if (process.env.DENO_DIR) env.DENO_DIR = process.env.DENO_DIR;
  Object.assign(env, readSecrets(cfg.supabaseDir));
  return Object.assign(env, {
    SUPABASE_URL: apiUrl(cfg),
    SUPABASE_ANON_KEY: cfg.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: cfg.serviceRoleKey,
    SUPABASE_DB_URL: dbUrl(cfg),
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: cfg.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: cfg.secretKey }),
  });
}

/**
 * The CLI runtime's `verify_jwt` check: a `Bearer` HS256 token signed with the project secret
 * and not expired (the role is not checked, so the anon key passes). Returns the refusal
 * message, or undefined when the token is good.
 */
export async function checkJwt(cfg: StackConfig, authorization: string | undefined): Promise<string | undefined> {
  if (!authorization) return "Error: Missing authorization header";
  const [scheme, token] = authorization.split(" ");
  if (scheme !== "Bearer") return "Error: Auth header is not 'Bearer {token}'";
  try {
    await verifyHs256(token ?? "", cfg.jwtSecret);
    return undefined;
  } catch {
    return "Invalid JWT";
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...CORS_HEADERS, "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** JSON with CORS headers (the gateway leaves CORS to this surface). */
function sendOwnJson(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, { ...CORS_HEADERS, "Content-Type": "application/json" });
}

function sendRuntimeError(res: ServerResponse, code: keyof typeof RUNTIME_ERRORS): void {
  const { status, message } = RUNTIME_ERRORS[code];
  sendOwnJson(res, status, { code, message });
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
