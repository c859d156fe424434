/**
 * One error type and one JSON error shape for every Edge Function:
 * `{ error: { code, message, details? } }` with the status mapping
 * validation 400, auth 401, forbidden 403, not found 404, conflict 409, unprocessable 422,
 * limited 429 (with `Retry-After`), unknown 500 (no internals).
 */

/** The stable machine codes of the error shape, one per HTTP status we answer with. */
export const ERROR_CODES = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable",
  429: "rate_limited",
  500: "internal",
  503: "unavailable",
} as const;

/** A status this module knows how to answer with. */
export type ErrorStatus = keyof typeof ERROR_CODES;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error that carries its HTTP status; thrown anywhere in a handler, answered by `errorResponse`. */
export class HttpError extends Error {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly details?: unknown;
  /** Seconds for the `Retry-After` header (429 and 503 only). */
  readonly retryAfterSeconds?: number;

  constructor(
    status: ErrorStatus,
    message: string,
    options: { details?: unknown; retryAfterSeconds?: number; code?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.code = options.code ?? ERROR_CODES[status];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The body this error is answered with. */
  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** A PostgREST / supabase-js error object as it reaches us (`{code, message, details, hint}`). */
export interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/**
 * Maps a PostgREST error to an HttpError. Our RPCs raise SQLSTATE `PTxyz` so that xyz is the HTTP
 * status; their `detail` is the stable reason code and their `hint` optional JSON. Anything else is
 * an internal error whose text is logged by the caller, never sent.
 */
export function fromPostgrestError(err: PostgrestLikeError, context = "database call"): HttpError {
  const m = /^PT(\d{3})$/.exec(err.code ?? "");
  const status = m ? Number(m[1]) : NaN;
  if (m && status in ERROR_CODES && status !== 500) {
    const hint = parseHint(err.hint);
    const details: Record<string, unknown> = {};
    if (err.details) details.reason = err.details;
    if (hint !== undefined) details.hint = hint;
    const retry = retryAfterFromHint(hint);
    return new HttpError(status as ErrorStatus, err.message ?? "request refused", {
      details: Object.keys(details).length > 0 ? details : undefined,
      retryAfterSeconds: status === 429 ? (retry ?? 60) : undefined,
    });
  }
  if (err.code === "42501") {
    return new HttpError(403, `not allowed: ${context}`, { cause: err });
  }
  return new HttpError(500, "internal error", { cause: new Error(`${context}: ${err.code ?? "?"} ${err.message ?? ""}`) });
}

function parseHint(hint: string | null | undefined): unknown {
  if (hint == null || hint === "") return undefined;
  try {
    return JSON.parse(hint);
  } catch {
    return hint;
  }
}

function retryAfterFromHint(hint: unknown): number | undefined {
  if (hint && typeof hint === "object" && "retry_after_seconds" in hint) {
    const n = Number((hint as { retry_after_seconds: unknown }).retry_after_seconds);
    if (Number.isFinite(n) && n >= 0) return Math.max(1, Math.ceil(n));
  }
  return undefined;
}

/**
 * Turns anything thrown into a Response with the one error shape. Unknown errors become a bare
 * 500 (logged with `log`, never echoed).
 */
export function errorResponse(
  error: unknown,
  headers: HeadersInit = {},
  log: (msg: string, err: unknown) => void = (msg, err) => console.error(msg, err),
): Response {
  const httpError = error instanceof HttpError ? error : new HttpError(500, "internal error", { cause: error });
  if (httpError.status >= 500) log(`[${httpError.status}] ${httpError.message}`, httpError.cause ?? error);
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  if (httpError.retryAfterSeconds !== undefined) h.set("Retry-After", String(httpError.retryAfterSeconds));
  return new Response(JSON.stringify(httpError.toBody()), { status: httpError.status, headers: h });
}
