import pg from "pg";
import type { StackConfig } from "./config.ts";
import { dbUrl } from "./config.ts";

/** The roles a JWT may switch to; anything else is refused like PostgREST's 22023. */
export const API_ROLES = new Set(["anon", "authenticated", "service_role"]);

/**
 * Per-role statement timeouts the Supabase platform sets (`anon` 3 s, `authenticated` 8 s).
 * Role settings apply at login only, so like PostgREST we apply them on `set local role`.
 */
const ROLE_TIMEOUTS: Record<string, string> = { anon: "3s", authenticated: "8s" };

/** The request facts PostgREST and Storage expose to SQL as transaction-local settings. */
export interface RequestClaims {
  /** Database role to become (from the JWT `role` claim, `anon` without a JWT). */
  role: string;
  /** Full JWT claims, exposed as `request.jwt.claims`. */
  claims: Record<string, unknown>;
  /** Lower-cased request headers, exposed as `request.headers`. */
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  /** Extra `set_config(name, value, true)` pairs (e.g. `storage.operation`). */
  settings?: Record<string, string>;
}

/** Creates the superuser pool the surfaces share; every request still drops to its JWT role. */
export function createPool(cfg: StackConfig, max = 20): pg.Pool {
  const pool = new pg.Pool({ connectionString: dbUrl(cfg), max, application_name: "engram-local" });
  // An idle client that loses its server (stack restart) must not crash the process.
  pool.on("error", () => {});
  // Nor may a checked-out one (pg-pool listens only while a client is idle): its queries
  // reject with the error, and the pool drops the client on release.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/**
 * Runs `fn` in one transaction on a client of its own: commits when `fn` resolves, rolls back
 * when it throws, and always gives the client back to the pool.
 */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(options.readOnly ? "begin read only" : "begin");
    try {
      const result = await fn(client);
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` in one {@link transaction} as `claims.role` with the request settings set *locally*
 * (`set_config(…, true)`), exactly like PostgREST, so RLS decides and nothing leaks to the next
 * request on the same connection.
 */
export async function withClaims<T>(
  pool: pg.Pool,
  claims: RequestClaims,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  return await transaction(
    pool,
    async (client) => {
      await applyClaims(client, claims);
      return await fn(client);
    },
    options,
  );
}

/**
 * Refuses a role outside {@link API_ROLES} like PostgREST does (SQLSTATE 22023), so a JWT
 * signed with the project secret but naming e.g. `postgres` never becomes that role.
 */
export function assertApiRole(role: string): void {
  if (!API_ROLES.has(role)) {
    throw Object.assign(new Error(`role "${role}" does not exist`), { code: "22023" });
  }
}

/**
 * Sets role and request GUCs on an open transaction (all `local`). Throws 22023 for a role
 * outside {@link API_ROLES}.
 */
export async function applyClaims(client: pg.ClientBase, claims: RequestClaims): Promise<void> {
  assertApiRole(claims.role);
  const settings: [string, string][] = [
    ["search_path", "public, extensions"],
    ["request.jwt.claims", JSON.stringify(claims.claims)],
    ["request.headers", JSON.stringify(claims.headers ?? {})],
    ["request.method", claims.method ?? ""],
    ["request.path", claims.path ?? ""],
    ["statement_timeout", ROLE_TIMEOUTS[claims.role] ?? "0"],
    ...Object.entries(claims.settings ?? {}),
    // set_config('role', …, true) is `set local role` (PostgREST does the same); last, so the
    // settings above are made as the session user. assertApiRole guarded the value.
    ["role", claims.role],
  ];
  const names = settings.map(([name]) => name);
  const values = settings.map(([, value]) => value);
  // One round trip for every setting and the role.
  await client.query(
    "select set_config(n, v, true) from unnest($1::text[], $2::text[]) with ordinality as s(n, v, i) order by i",
    [names, values],
  );
}
