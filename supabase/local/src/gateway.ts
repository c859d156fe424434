import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { StackConfig } from "./config.ts";
import { CORS_HEADERS, header, PayloadTooLargeError, sendJson } from "./http.ts";
import type { Surface } from "./surface.ts";

/**
 * The gateway rule of the CLI's Kong (see supabase-contracts.md §0): an `Authorization` header
 * that is present and not an opaque `sb_` key is kept; otherwise the `apikey` decides — the
 * secret key becomes the service_role JWT, the publishable key the anon JWT, anything else is
 * used raw. Returns the Authorization value to forward, or undefined.
 */
export function resolveAuthorization(
  cfg: StackConfig,
  authorization: string | undefined,
  apikey: string | undefined,
): string | undefined {
  if (authorization && !/^Bearer\s+sb_/i.test(authorization)) return authorization;
  const key = apikey ?? authorization?.replace(/^Bearer\s+/i, "");
  if (!key) return undefined;
  return `Bearer ${translateKey(cfg, key)}`;
}

/** Maps the opaque `sb_` keys to the JWTs they stand for; other values pass through. */
export function translateKey(cfg: StackConfig, key: string): string {
  if (key === cfg.secretKey) return cfg.serviceRoleKey;
  if (key === cfg.publishableKey) return cfg.anonKey;
  return key;
}

/**
 * The request target as a URL, or undefined when it cannot be parsed (e.g. an absolute-form
 * target like `http://[/`). The Host header is not used: no surface needs it, and a malformed
 * one must not make the parse throw.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

/** The gateway's HTTP server: key rewrite, CORS, prefix routing, one log line per request. */
export function createGateway(
  cfg: StackConfig,
  surfaces: Surface[],
  log: (line: string) => void,
): http.Server {
  const find = (pathname: string) =>
    surfaces.find((s) => pathname === s.prefix || pathname.startsWith(`${s.prefix}/`));

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => fail(res, "gateway", error));
  });
  // Node's default 300 s request timeout would cut long standard uploads; each surface enforces
  // its own limits (functions: the 400 s wall clock).
  server.requestTimeout = 0;
  // Clients (undici's fetch) reuse idle sockets for ~4 s; closing them after Node's default 5 s
  // races a reuse and surfaces as ECONNRESET. Keep idle sockets longer than any client does.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = requestUrl(req);
    if (!url) {
      sendJson(res, 400, { message: "invalid request target" });
      return;
    }
    res.on("finish", () => {
      if (!cfg.logRequests) return;
      const ms = (performance.now() - started).toFixed(1);
      log(`${req.method} ${url.pathname} ${res.statusCode} ${ms}ms`);
    });
    const surface = find(url.pathname);
    if (!surface?.ownsCors) {
      for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
      if (req.method === "OPTIONS") {
        res.writeHead(204).end();
        return;
      }
    }
    if (!surface) {
      sendJson(res, 404, { message: "no Route matched with those values" });
      return;
    }
    const apikey = header(req, "apikey");
    const authorization = resolveAuthorization(cfg, header(req, "authorization"), apikey);
    if (authorization) req.headers.authorization = authorization;
    if (apikey) req.headers.apikey = translateKey(cfg, apikey);
    try {
      await surface.handle({ req, res, path: url.pathname.slice(surface.prefix.length) || "/", url });
    } catch (error) {
      fail(res, surface.prefix, error);
    }
  }

  /** Answers an error no surface handled: 413 for oversized bodies, else a logged 500. */
  function fail(res: ServerResponse, where: string, error: unknown): void {
    if (res.headersSent) {
      res.destroy(error as Error);
      return;
    }
    if (error instanceof PayloadTooLargeError) {
      sendJson(res, 413, { message: error.message });
      return;
    }
    log(`error in ${where}: ${(error as Error).stack ?? error}`);
    sendJson(res, 500, { message: "internal error in the local stack" });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(req);
    const surface = url && find(url.pathname);
    if (!url || !surface?.upgrade) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    const apikey = url.searchParams.get("apikey");
    if (apikey) {
      url.searchParams.set("apikey", translateKey(cfg, apikey));
      req.url = url.pathname + url.search;
    }
    surface.upgrade(req, socket, head, url.pathname.slice(surface.prefix.length) || "/");
  });
  return server;
}
