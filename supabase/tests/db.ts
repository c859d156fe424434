/**
 * Helpers for the database tests: superuser setup, and calls made exactly the way PostgREST
 * makes them (one transaction, `set local role`, `request.jwt.claims`), without depending on the
 * REST surface.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { applyClaims, type RequestClaims, withClaims } from "../local/src/db.ts";
import { stackInfo } from "../local/test/clients.ts";

/** Who makes a call. */
export type Actor =
  | { role: "anon" }
  | { role: "service_role" }
  | { role: "authenticated"; uid: string; lane?: string };

export const anon: Actor = { role: "anon" };
export const service: Actor = { role: "service_role" };
/**
 * A signed-in user. With `lane`, runs the user's calls create belong to that worker lane
 * (`engram.lane`), so the stack's real worker and sweep (lane 'default') never touch them.
 */
export function user(uid: string, lane?: string): Actor {
  return lane ? { role: "authenticated", uid, lane } : { role: "authenticated", uid };
}

/** A fresh worker lane for one test. */
export function newLane(): string {
  return `test-${randomUUID()}`;
}

/** The claims PostgREST would set for `actor`. */
export function claimsOf(actor: Actor): RequestClaims {
  if (actor.role === "authenticated") {
    return {
      role: "authenticated",
      claims: { sub: actor.uid, role: "authenticated", aud: "authenticated" },
      settings: actor.lane ? { "engram.lane": actor.lane } : {},
    };
  }
  return { role: actor.role, claims: { role: actor.role } };
}

/** A superuser pool on the test database. Call `end()` in afterAll. */
export function testPool(max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: stackInfo().dbUrl, max, application_name: "engram-db-tests" });
  pool.on("error", () => {});
  return pool;
}

/** Inserts a user into auth.users (the profile trigger fires) and returns its id. */
export async function createUser(db: pg.Pool | pg.ClientBase): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into auth.users (id, aud, role, email, created_at, updated_at)
     values ($1, 'authenticated', 'authenticated', $2, now(), now())`,
    [id, `db-${id}@example.test`],
  );
  return id;
}

/** Runs `fn` as `actor` in one transaction that commits (like a PostgREST request). */
export async function as<T>(db: pg.Pool, actor: Actor, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return await withClaims(db, claimsOf(actor), fn);
}

/**
 * Runs `fn` as `actor` after optional superuser `prepare`, then always rolls back: for probes
 * that must not change the shared state.
 */
export async function probe<T>(
  db: pg.Pool,
  actor: Actor,
  fn: (c: pg.PoolClient) => Promise<T>,
  prepare?: (c: pg.PoolClient) => Promise<void>,
): Promise<T> {
  const client = await db.connect();
  try {
    await client.query("begin");
    try {
      if (prepare) await prepare(client);
      await applyClaims(client, claimsOf(actor));
      return await fn(client);
    } finally {
      await client.query("rollback").catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** Calls `public.<name>(args…)` as `actor` (named arguments, like PostgREST) and returns the value. */
export async function rpc<T = unknown>(db: pg.Pool, actor: Actor, name: string, args: Record<string, unknown> = {}): Promise<T> {
  return await as(db, actor, async (c) => {
    const names = Object.keys(args);
    const list = names.map((n, i) => `${pg.escapeIdentifier(n)} => $${i + 1}`).join(", ");
    const { rows } = await c.query(`select public.${pg.escapeIdentifier(name)}(${list}) as v`, names.map((n) => args[n]));
    return rows[0]?.v as T;
  });
}

/** A Postgres error as the tests look at it. */
export interface PgFailure {
  code: string;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
}

/** Awaits `promise`, expecting it to reject with a Postgres error; returns that error's parts. */
export async function failure(promise: Promise<unknown>): Promise<PgFailure> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; message?: string; detail?: string; hint?: string };
    if (!e.code) throw error;
    return { code: e.code, message: e.message ?? "", detail: e.detail, hint: e.hint };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** One superuser query, returning rows. */
export async function q<R extends pg.QueryResultRow = Record<string, unknown>>(
  db: pg.Pool | pg.ClientBase,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return (await db.query<R>(text, values)).rows;
}

/** Opens `n` connected clients, each inside `begin` with `actor`'s claims applied. */
export async function openSessions(n: number, actor: (i: number) => Actor): Promise<pg.Client[]> {
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: stackInfo().dbUrl, application_name: "engram-db-race" });
      await c.connect();
      return c;
    }),
  );
  await Promise.all(
    clients.map(async (c, i) => {
      await c.query("begin");
      await applyClaims(c, claimsOf(actor(i)));
    }),
  );
  return clients;
}
