import type { IncomingMessage, ServerResponse } from "node:http";

/** CORS headers the CLI's Kong adds to every API response. */
export const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, x-retry-count, x-upsert, prefer, range, accept-profile, content-profile, x-supabase-api-version, cache-control, x-metadata, tus-resumable, upload-length, upload-metadata, upload-offset, upload-defer-length, upload-concat, x-http-method-override",
  "Access-Control-Expose-Headers":
    "Content-Range, Content-Location, Location, X-Total-Count, Link, Upload-Offset, Upload-Length, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Upload-Metadata, Upload-Expires, Retry-After, X-Supabase-Api-Version",
  "Access-Control-Max-Age": "86400",
};

/** Raised by {@link readBody} when a body exceeds its limit; surfaces map it to 413. */
export class PayloadTooLargeError extends RangeError {
  constructor(readonly limit: number) {
    super(`request body is larger than the ${limit}-byte limit`);
    this.name = "PayloadTooLargeError";
  }
}

/** Reads a whole request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON body; an empty body gives `undefined`. Throws SyntaxError on bad JSON. */
export async function readJson(req: IncomingMessage, limit?: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  return JSON.parse(body.toString("utf8"));
}

/** Sends `body` as JSON with `status`; extra headers are merged in. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** First value of a header that may repeat. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The request headers as one string per (lower-case) name, repeated ones joined with `, `: what
 * PostgREST and Storage expose to SQL as `request.headers`.
 */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
