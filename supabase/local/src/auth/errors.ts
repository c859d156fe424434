import type { IncomingMessage, ServerResponse } from "node:http";
import { header, sendJson } from "../http.ts";

/** The header GoTrue uses to pick the error body format; supabase-js always sends it. */
export const API_VERSION_HEADER = "X-Supabase-Api-Version";
const API_VERSION_2024 = "2024-01-01";

/**
 * A GoTrue API error (`apierrors.HTTPError`): HTTP status, machine-readable `code` (error_code)
 * and a human message. `extra` is merged into the body (e.g. `weak_password`).
 */
export class AuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "AuthHttpError";
  }
}

/** An OAuth2-style error (`{error, error_description}`), e.g. a refresh grant without a token. */
export class AuthOAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = "AuthOAuthError";
  }
}

/** 400 with `code`. */
export const badRequest = (code: string, message: string) => new AuthHttpError(400, code, message);
/** 422 with `code`. */
export const unprocessable = (code: string, message: string) => new AuthHttpError(422, code, message);
/** 403 with `code`. */
export const forbidden = (code: string, message: string) => new AuthHttpError(403, code, message);
/** 404 with `code`. */
export const notFound = (code: string, message: string) => new AuthHttpError(404, code, message);
/** 500 `unexpected_failure`; supabase-js turns any 500 into AuthRetryableFetchError. */
export const internal = (message: string) => new AuthHttpError(500, "unexpected_failure", message);

/** True when the request asked for the 2024-01-01 error format (or a later date). */
export function wantsApi2024(req: IncomingMessage): boolean {
  const value = header(req, API_VERSION_HEADER);
  return value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) && value >= API_VERSION_2024;
}

/**
 * Sends `error` the way GoTrue's HandleResponseError does: with the 2024-01-01 API version,
 * `{code, message}` and the version echoed; otherwise the legacy `{code: <status>, error_code,
 * msg}`. OAuth errors are always `{error, error_description}`. Anything else is a 500.
 */
export function sendAuthError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const modern = wantsApi2024(req);
  const headers: Record<string, string> = modern ? { [API_VERSION_HEADER]: API_VERSION_2024 } : {};
  if (error instanceof AuthOAuthError) {
    sendJson(res, error.status, { error: error.error, error_description: error.description }, headers);
    return;
  }
  const e = error instanceof AuthHttpError ? error : internal("Unexpected failure, please check server logs for more information");
  headers["x-sb-error-code"] = e.code;
  const body = modern
    ? { code: e.code, message: e.message, ...e.extra }
    : { code: e.status, error_code: e.code, msg: e.message, ...e.extra };
  sendJson(res, e.status, body, headers);
}
