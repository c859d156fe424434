/**
 * Runs inside Deno, one process per Edge Function, before the function's own `index.ts`:
 * - installs `EdgeRuntime.waitUntil` (background work outlives the response; pending work is
 *   reported to the parent, which waits for it before stopping the process);
 * - intercepts `Deno.serve` so the function's handler listens on an ephemeral loopback port
 *   that the parent learns through the control channel: JSON lines on stdout prefixed with
 *   {@link CONTROL_PREFIX}, which the parent filters out of the function's log;
 * - turns a throwing handler into 500 WORKER_ERROR and a module that fails to load into a
 *   `boot_error` message (the parent answers 503 BOOT_ERROR);
 * - exits when the parent goes away (stdin reaches end of file), so no process outlives the stack.
 *
 * Usage: `deno run … bootstrap.ts <file:// URL of the function's index.ts>`.
 */

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
type ControlMessage =
  | { type: "listening"; port: number }
  | { type: "boot_error"; message: string }
  | { type: "wait_until"; pending: number };

const entry = Deno.args[0];
if (!entry) throw new TypeError("bootstrap.ts expects the function's index.ts URL as its argument");

/** Marks control lines on stdout (ASCII record separator + tag); keep in sync with worker.ts. */
const CONTROL_PREFIX = "\u001eengram-control ";
const encoder = new TextEncoder();

function send(message: ControlMessage): void {
  // One write per line, so it never interleaves with the function's own console output.
  Deno.stdout.writeSync(encoder.encode(`${CONTROL_PREFIX}${JSON.stringify(message)}\n`));
}

const WORKER_ERROR = {
  code: "WORKER_ERROR",
  message: "Function exited due to an error (please check logs)",
};

const pending = new Set<Promise<unknown>>();

/** The subset of the hosted `EdgeRuntime` global that functions use. */
const edgeRuntime = {
  waitUntil<T>(promise: Promise<T>): Promise<T> {
    const tracked: Promise<unknown> = Promise.resolve(promise)
      .catch((error) => console.error("EdgeRuntime.waitUntil promise rejected:", error))
      .finally(() => {
        pending.delete(tracked);
        send({ type: "wait_until", pending: pending.size });
      });
    pending.add(tracked);
    send({ type: "wait_until", pending: pending.size });
    return promise;
  },
};
Object.defineProperty(globalThis, "EdgeRuntime", { value: edgeRuntime, writable: false });

const originalServe = Deno.serve.bind(Deno) as (
  options: Deno.ServeTcpOptions,
  handler: Handler,
) => Deno.HttpServer;
let served = false;

function pickHandler(args: unknown[]): { handler: Handler; signal?: AbortSignal } {
  const [first, second] = args as [unknown, unknown];
  if (typeof first === "function") return { handler: first as Handler };
  const options = (first ?? {}) as { handler?: Handler; signal?: AbortSignal };
  const handler = typeof second === "function" ? (second as Handler) : options.handler;
  if (typeof handler !== "function") {
    throw new TypeError("Deno.serve expects a handler function; got none");
  }
  return { handler, signal: options.signal };
}

(Deno as { serve: unknown }).serve = (...args: unknown[]): Deno.HttpServer => {
  if (served) throw new Error("Deno.serve was called twice; an Edge Function serves one handler");
  served = true;
  const { handler, signal } = pickHandler(args);
  const wrapped: Handler = async (request, info) => {
    try {
      const response = await handler(request, info);
      if (!(response instanceof Response)) {
        throw new TypeError(`the handler must return a Response; got ${typeof response}`);
      }
      return response;
    } catch (error) {
      console.error(error);
      return Response.json(WORKER_ERROR, { status: 500 });
    }
  };
  return originalServe(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal,
      onListen: ({ port }) => send({ type: "listening", port }),
      onError: (error) => {
        console.error(error);
        return Response.json(WORKER_ERROR, { status: 500 });
      },
    },
    wrapped,
  );
};

// The parent keeps our stdin open; end of file means it is gone.
(async () => {
  const buffer = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buffer)) !== null) { /* ignore input */ }
  } catch { /* closed */ }
  Deno.exit(0);
})();

try {
  await import(entry);
} catch (error) {
  console.error(error);
  send({ type: "boot_error", message: error instanceof Error ? error.message : String(error) });
  Deno.exit(1);
}
