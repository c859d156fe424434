/**
 * PostgREST's error body and its SQLSTATE → HTTP mapping (PostgREST `Error.hs` mapSQLtoHTTP),
 * see supabase-contracts.md §2 "Errors".
 */

/** The JSON body PostgREST answers errors with. */
export interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error the REST surface answers with a given status and PostgREST body. */
export class PgrstError extends Error {
  readonly details: string | null;
  readonly hint: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: { details?: string | null; hint?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "PgrstError";
    this.details = options.details ?? null;
    this.hint = options.hint ?? null;
    this.headers = options.headers ?? {};
  }

  /** The response body. */
  body(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** PGRST100: a query string part that does not parse. */
export function parseError(message: string, details: string | null = null): PgrstError {
  return new PgrstError(400, "PGRST100", message, { details });
}

/** PGRST205: the table or view is not in the exposed schema. */
export function tableNotFound(schema: string, name: string): PgrstError {
  return new PgrstError(404, "PGRST205", `Could not find the table '${schema}.${name}' in the schema cache`);
}

/** PGRST204: a column named by `columns`, the body or `on_conflict` does not exist. */
export function columnNotFound(table: string, column: string): PgrstError {
  return new PgrstError(400, "PGRST204", `Could not find the '${column}' column of '${table}' in the schema cache`);
}

/** PGRST202: no function with that name takes those argument names. */
export function functionNotFound(schema: string, name: string, argNames: string[]): PgrstError {
  const sorted = [...argNames].sort();
  const signature = sorted.length ? `${schema}.${name}(${sorted.join(", ")})` : `${schema}.${name} without parameters`;
  const details = sorted.length
    ? `Searched for the function ${schema}.${name} with parameters ${sorted.join(", ")} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`
    : `Searched for the function ${schema}.${name} without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`;
  return new PgrstError(404, "PGRST202", `Could not find the function ${signature} in the schema cache`, { details });
}

/** PGRST116: `Accept: application/vnd.pgrst.object+json` but the result has `rows` ≠ 1 rows. */
export function singularityError(rows: number): PgrstError {
  return new PgrstError(406, "PGRST116", "Cannot coerce the result to a single JSON object", {
    details: `The result contains ${rows} rows`,
  });
}

/** What node-postgres exposes of a server error. */
interface PgErrorLike {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isPgError(error: unknown): error is PgErrorLike & Error {
  return error instanceof Error && typeof (error as PgErrorLike).code === "string";
}

/** HTTP status for a SQLSTATE, exactly as PostgREST's mapSQLtoHTTP. */
export function statusForSqlState(code: string, message: string, role: string): number {
  if (code === "42501") return role === "anon" ? 401 : 403;
  if (code === "23505" || code === "23503") return 409;
  if (code === "P0001") return 400;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  if (code === "42883" || code === "42P01") return 404;
  if (code === "25006") return 405;
  if (code === "22023" && /role .* does not exist/.test(message)) return 401;
  if (/^(0L|0P|28)/.test(code)) return 403;
  if (code === "53400") return 500;
  if (/^(08|53)/.test(code) || code === "57P01") return 503;
  if (code === "42P17") return 500;
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|XX|P0)/.test(code)) return 500;
  if (code === "21000") return /requires a WHERE clause/.test(message) ? 400 : 500;
  return 400;
}

/**
 * Converts any error thrown while serving a request into a {@link PgrstError}: Postgres errors
 * by SQLSTATE (and `raise sqlstate 'PGRST'` with a JSON message/detail as PostgREST documents),
 * anything else as a 500.
 */
export function toPgrstError(error: unknown, role: string): PgrstError {
  if (error instanceof PgrstError) return error;
  if (isPgError(error)) {
    const code = error.code ?? "";
    if (code === "PGRST") return customError(error);
    const status = statusForSqlState(code, error.message, role);
    const headers: Record<string, string> =
      status === 401 && code === "42501" ? { "WWW-Authenticate": "Bearer" } : {};
    return new PgrstError(status, code, error.message, {
      details: error.detail ?? null,
      hint: error.hint ?? null,
      headers,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PgrstError(500, "PGRST000", message);
}

/** `raise sqlstate 'PGRST' using message = '{"code":…,"message":…}', detail = '{"status":…,"headers":{…}}'`. */
function customError(error: PgErrorLike): PgrstError {
  try {
    const body = JSON.parse(error.message) as Partial<ErrorBody>;
    const detail = JSON.parse(error.detail ?? "{}") as { status?: number; headers?: Record<string, string> };
    return new PgrstError(detail.status ?? 400, String(body.code ?? ""), String(body.message ?? ""), {
      details: body.details ?? null,
      hint: body.hint ?? null,
      headers: detail.headers ?? {},
    });
  } catch {
    return new PgrstError(500, "PGRST121", "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error", {
      details: error.message,
      hint: "Make sure the MESSAGE and DETAIL are valid JSON",
    });
  }
}
