import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import http from "node:http";
import type { Readable } from "node:stream";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The Deno module that runs before each function's `index.ts` (see runtime/bootstrap.ts). */
export const BOOTSTRAP = path.join(here, "runtime", "bootstrap.ts");

/** The Deno binary of the `deno` npm package (the binary itself, so its pid is the isolate's). */
export function denoBinary(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("deno/package.json")), "deno");
}

/** Why a worker process ended. */
export type ExitReason = "memory" | "cpu" | "crash" | "stopped" | "boot";

/** Raised when a function's module cannot be loaded (the gateway answers 503 BOOT_ERROR). */
export class BootError extends Error {
  constructor(readonly functionName: string, detail: string) {
    super(`function "${functionName}" failed to boot: ${detail}`);
    this.name = "BootError";
  }
}

/** How to start one function's worker. */
export interface WorkerSpec {
  name: string;
  /** Absolute path of the function's `index.ts`. */
  entry: string;
  /** Working directory: the repository root, where `deno.json` and `node_modules` are. */
  cwd: string;
  /** `deno.json` passed with `--config`, if one exists. */
  configFile?: string;
  /** Import map passed with `--import-map` (config.toml `import_map`), if any. */
  importMap?: string;
  env: Record<string, string>;
  /** V8 old-space cap in MB (`--max-old-space-size`), hosted: 256. */
  memoryMb: number;
  /** How long the module may take to call `Deno.serve`. */
  bootTimeoutMs: number;
  log: (line: string) => void;
}

const PAGE_SIZE = 4096;

/** Marks the bootstrap's control lines on stdout (see runtime/bootstrap.ts). */
const CONTROL_PREFIX = "\u001eengram-control ";

/**
 * One Edge Function running in its own Deno process, started by {@link FunctionWorker.start}
 * and kept warm. It serves its handler on an ephemeral loopback port that the bootstrap reports
 * in a control line on stdout ({@link CONTROL_PREFIX}).
 */
export class FunctionWorker {
  port = 0;
  /** Requests currently proxied to this worker. */
  inFlight = 0;
  /** `EdgeRuntime.waitUntil` promises still pending inside the worker. */
  background = 0;
  /** Resident memory (bytes) right after boot; the memory limit counts growth above it. */
  baselineRss = 0;
  exitReason: ExitReason | undefined;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly exited: Promise<ExitReason>;
  private readonly child: ChildProcess;
  private stderrTail = "";
  private backgroundIdle: (() => void)[] = [];
  /** Settles {@link ready} once the bootstrap reports `listening` or `boot_error`. */
  private booted: ((error: BootError | undefined) => void) | undefined;

  private constructor(readonly spec: WorkerSpec) {
    const args = [
      "run",
      "--allow-all",
      "--no-prompt",
      `--v8-flags=--max-old-space-size=${spec.memoryMb}`,
      ...(spec.configFile ? ["--config", path.relative(spec.cwd, spec.configFile) || spec.configFile] : ["--no-config"]),
      ...(spec.importMap ? ["--import-map", spec.importMap] : []),
      BOOTSTRAP,
      pathToFileURL(spec.entry).href,
    ];
    this.child = spawn(denoBinary(), args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => {
      // "close" (not "exit"): stderr is fully read by then, so an out-of-memory abort is seen.
      this.child.once("close", (code, signal) => {
        this.exitReason ??= /out of memory|heap limit/i.test(this.stderrTail) ? "memory" : "crash";
        if (this.exitReason === "crash" || this.exitReason === "memory") {
          spec.log(`functions: worker ${spec.name} exited (${this.exitReason}, code ${code}, signal ${signal})`);
        }
        this.agent.destroy();
        this.background = 0;
        for (const idle of this.backgroundIdle.splice(0)) idle();
        resolve(this.exitReason);
      });
    });
    this.child.on("error", (error) => spec.log(`functions: worker ${spec.name}: ${error.message}`));
    this.child.stdin?.on("error", () => {});
    this.pipeLines(this.child.stdout!, (line) => {
      if (line.startsWith(CONTROL_PREFIX)) this.onControl(line.slice(CONTROL_PREFIX.length));
      else spec.log(`[${spec.name}] ${line}`);
    });
    this.pipeLines(this.child.stderr!, (line) => {
      this.stderrTail = (this.stderrTail + line + "\n").slice(-8192);
      spec.log(`[${spec.name}] ${line}`);
    });
  }

  /** Starts a worker and resolves once its handler listens; rejects with {@link BootError}. */
  static async start(spec: WorkerSpec): Promise<FunctionWorker> {
    const worker = new FunctionWorker(spec);
    await worker.ready();
    return worker;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitReason === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** CPU time (ms) consumed so far by the worker's main JS thread, from the kernel's schedstat. */
  cpuMs(): number | undefined {
    const pid = this.child.pid;
    if (!pid) return undefined;
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]);
      return ns / 1e6;
    } catch {
      return undefined;
    }
  }

  /** Resident set size (bytes) of the whole worker process. */
  rssBytes(): number | undefined {
    const pid = this.child.pid;
    if (!pid) return undefined;
    try {
      return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_SIZE;
    } catch {
      return undefined;
    }
  }

  /** Ends the process at once, recording why (a limit, or a stop). */
  kill(reason: ExitReason): void {
    if (!this.alive) return;
    this.exitReason = reason;
    this.child.kill("SIGKILL");
  }

  /**
   * Stops the worker: waits up to `graceMs` for `EdgeRuntime.waitUntil` work, then closes its
   * stdin (the bootstrap exits) and kills it if it is still there a second later.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    if (this.background > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.backgroundIdle.push(resolve)),
        delay(graceMs),
      ]);
    }
    if (!this.alive) return;
    this.exitReason = "stopped";
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  private onControl(line: string): void {
    let message: { type?: string; port?: number; message?: string; pending?: number };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.type === "listening" && typeof message.port === "number") {
      this.port = message.port;
      this.baselineRss = this.rssBytes() ?? 0;
      this.booted?.(undefined);
    } else if (message.type === "boot_error") {
      this.exitReason = "boot";
      this.booted?.(new BootError(this.spec.name, message.message ?? "unknown error"));
    } else if (message.type === "wait_until" && typeof message.pending === "number") {
      this.background = message.pending;
      if (message.pending === 0) for (const idle of this.backgroundIdle.splice(0)) idle();
    }
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill("boot");
        reject(new BootError(this.spec.name, `Deno.serve was not called within ${this.spec.bootTimeoutMs} ms`));
      }, this.spec.bootTimeoutMs);
      this.booted = (error) => {
        clearTimeout(timer);
        this.booted = undefined;
        if (error) reject(error);
        else resolve();
      };
      void this.exited.then(() => {
        clearTimeout(timer);
        if (this.port === 0) {
          const last = this.stderrTail.trim().split("\n").slice(-3).join(" | ");
          reject(new BootError(this.spec.name, last || "the process exited before serving"));
        }
      });
    });
  }

  private pipeLines(stream: Readable, onLine: (line: string) => void): void {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let index: number;
      while ((index = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, index));
        buffer = buffer.slice(index + 1);
      }
    });
    stream.on("error", () => {});
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
