import { corsHeaders } from "./cors.ts";
import { errorResponse, HttpError } from "./errors.ts";

/** A JSON response with CORS headers. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(corsHeaders);
  for (const [k, v] of new Headers(headers)) h.set(k, v);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** Largest request body we read (the functions take small JSON bodies only). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads the request body as JSON. An empty body reads as `emptyValue` (`undefined` unless given).
 * Throws HttpError 400 / 413 / 415 saying what was wrong.
 */
export async function readJson(req: Request, emptyValue?: unknown): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) {
    throw new HttpError(413, `request body is ${text.length} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  }
  if (text.trim() === "") return emptyValue;
  if (type && !/^(application\/(.+\+)?json|text\/plain)\b/i.test(type)) {
    throw new HttpError(415, `expected Content-Type application/json, got ${type}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, "request body is not valid JSON", {
      details: { issues: [{ path: "", message: e instanceof Error ? e.message : String(e) }] },
    });
  }
}

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return m?.[1] ?? null;
}

/** A request handler as the index files use it. */
export type Handler = (req: Request) => Promise<Response>;

/**
 * Wraps a handler: answers CORS preflight, refuses methods other than POST (405), and turns any
 * thrown error into the one JSON error shape with CORS headers.
 */
export function withErrors(handler: Handler): Handler {
  return async (req) => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: corsHeaders });
    try {
      if (req.method !== "POST") throw new HttpError(405, `method ${req.method} is not allowed; use POST`);
      return await handler(req);
    } catch (error) {
      return errorResponse(error, corsHeaders);
    }
  };
}
