import pg from "pg";
import { API_ROLES, withClaims } from "../db.ts";
import type { Change } from "./wal.ts";

/** What a subscriber may learn of a changed row. */
export type Visibility = "visible" | "hidden" | "unauthorized";

/** The identity one RLS check runs as. */
export interface CheckIdentity {
  role: string;
  claims: Record<string, unknown>;
}

/** How long to wait for a just-committed transaction to become visible to new snapshots. */
const COMMIT_VISIBILITY_WAIT_MS = 2000;

/** Settings PostgREST (and db.ts `applyClaims`) set per request, besides role and claims. */
const ROLE_TIMEOUTS: Record<string, string> = { anon: "3s", authenticated: "8s" };

function tableOf(change: Change): string {
  return `${pg.escapeIdentifier(change.schema)}.${pg.escapeIdentifier(change.table)}`;
}

/**
 * Whether the change's transaction is visible in the statement's snapshot. The walsender can
 * stream a commit a moment before the committing backend leaves the proc array, i.e. before new
 * snapshots see it; checks made then are re-run (bounded) instead of calling the row hidden.
 * `diff` is xid − xmax (mod 2^32, signed): negative means assigned before this snapshot's xmax,
 * and then xmax + diff is the change's full xid8.
 */
function committedExpression(change: Change): string {
  return `(select diff < 0 and pg_visible_in_snapshot((xmax + diff)::text::xid8, snap)
     from (select snap, xmax, ((${change.xid >>> 0}::bigint - xmax % 4294967296 + 6442450944) % 4294967296) - 2147483648 as diff
             from (select snap, pg_snapshot_xmax(snap)::text::bigint as xmax
                     from (select pg_current_snapshot() as snap) s) m) d)`;
}

/** The primary key of the new row, as the JSON `jsonb_populate_record` casts per column. */
function keyJson(change: Change): string {
  const key: Record<string, unknown> = {};
  for (const column of change.primaryKey) key[column] = change.record?.[column] ?? null;
  return JSON.stringify(key);
}

/** `exists(select 1 from <table> where <pk> = <key>)` with the key as parameter `param`. */
function existsExpression(change: Change, param: string): string {
  const table = tableOf(change);
  const where = change.primaryKey.map((c) => `t.${pg.escapeIdentifier(c)} = k.${pg.escapeIdentifier(c)}`).join(" and ");
  return `exists (select 1 from ${table} t, jsonb_populate_record(null::${table}, ${param}) k where ${where})`;
}

function setIdentity(identity: CheckIdentity): string {
  const settings: [string, string][] = [
    ["search_path", "public, extensions"],
    ["request.jwt.claims", JSON.stringify(identity.claims)],
    ["statement_timeout", ROLE_TIMEOUTS[identity.role] ?? "0"],
    ["role", identity.role],
  ];
  return `select ${settings.map(([n, v]) => `set_config(${pg.escapeLiteral(n)}, ${pg.escapeLiteral(v)}, true)`).join(", ")}`;
}

/**
 * Decides, as Realtime's `apply_rls` does, which subscribers may see the changed row: for each
 * identity, inside one read-only transaction, `role` and `request.jwt.claims` are set locally
 * (exactly what db.ts `withClaims` sets) and the row is selected by primary key under RLS. All
 * identities go in one round trip; if that transaction fails (e.g. an identity lacks SELECT
 * privilege, 42501) each identity is re-checked alone through `withClaims`.
 *
 * The row is already committed when the WAL shows it; if it has since been updated or deleted,
 * the *current* row decides (Realtime does the same).
 */
export async function rowVisibility(
  pool: pg.Pool,
  change: Change,
  identities: CheckIdentity[],
  onError?: (error: Error) => void,
): Promise<Visibility[]> {
  const result: Visibility[] = identities.map(() => "hidden");
  const allowed = identities.map((identity, i) => ({ identity, i })).filter(({ identity }) => API_ROLES.has(identity.role));
  if (allowed.length === 0) return result;
  // One snapshot (repeatable read) for the commit check and every identity's check; the check is
  // prepared once per batch so each identity costs an EXECUTE, not a parse and plan.
  const batch = [
    // BEGIN must come first: the statements of one simple query share an implicit transaction.
    "begin isolation level repeatable read read only",
    "deallocate all",
    `select ${committedExpression(change)} as committed`,
    `prepare realtime_rls_check(jsonb) as select ${existsExpression(change, "$1")} as visible`,
  ];
  const key = pg.escapeLiteral(keyJson(change));
  for (const { identity } of allowed) batch.push(setIdentity(identity), `execute realtime_rls_check(${key})`);
  batch.push("commit", "deallocate realtime_rls_check");
  const text = batch.join(";\n");
  const deadline = Date.now() + COMMIT_VISIBILITY_WAIT_MS;
  const client = await pool.connect();
  let failed = false;
  try {
    for (;;) {
      const results = (await client.query(text)) as unknown as pg.QueryResult[];
      const committed = (results[2]!.rows[0] as { committed: boolean }).committed;
      if (committed || Date.now() > deadline) {
        allowed.forEach(({ i }, j) => {
          result[i] = (results[5 + 2 * j]!.rows[0] as { visible: boolean }).visible ? "visible" : "hidden";
        });
        return result;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } catch (error) {
    failed = true;
    await client.query("rollback").catch(() => {});
    // Lacking SELECT privilege (42501) is expected and sorted out per identity below.
    if ((error as { code?: string }).code !== "42501") onError?.(error as Error);
  } finally {
    client.release();
  }
  if (failed) {
    const check = `select ${committedExpression(change)} as committed, ${existsExpression(change, `${key}::jsonb`)} as visible`;
    for (const { identity, i } of allowed) result[i] = await checkOne(pool, check, identity);
  }
  return result;
}

async function checkOne(pool: pg.Pool, check: string, identity: CheckIdentity): Promise<Visibility> {
  try {
    return await withClaims(
      pool,
      identity,
      async (client) => {
        const deadline = Date.now() + COMMIT_VISIBILITY_WAIT_MS;
        for (;;) {
          const row = (await client.query<{ committed: boolean; visible: boolean }>(check)).rows[0]!;
          if (row.committed || Date.now() > deadline) return row.visible ? "visible" : "hidden";
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      },
      { readOnly: true },
    );
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return "unauthorized";
    throw error;
  }
}
