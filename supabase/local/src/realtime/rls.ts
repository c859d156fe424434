import pg from "pg";
import { withClaims } from "../db.ts";
import type { Change } from "./wal.ts";

/** What a subscriber may learn of a changed row. */
export type Visibility = "visible" | "hidden" | "unauthorized";

/**
 * Decides, as Realtime's `apply_rls` does, whether `role` with JWT `claims` can SELECT the
 * changed row: one transaction with `set local role` and `request.jwt.claims` (PostgREST-style,
 * via withClaims) running `select 1 from <table> where <pk> = <values>`. The row is already
 * committed when the WAL shows it; if it has since been updated or deleted, the *current* row
 * decides. Lacking SELECT privilege gives "unauthorized" (Realtime's "Error 401").
 */
export async function rowVisibility(
  pool: pg.Pool,
  change: Change,
  subscriber: { role: string; claims: Record<string, unknown> },
): Promise<Visibility> {
  const record = change.record ?? {};
  const where = change.primaryKey
    .map((column, i) => `${pg.escapeIdentifier(column)} = $${i + 1}`)
    .join(" and ");
  const values = change.primaryKey.map((column) => toParam(record[column]));
  const sql = `select 1 from ${pg.escapeIdentifier(change.schema)}.${pg.escapeIdentifier(change.table)} where ${where} limit 1`;
  try {
    return await withClaims(
      pool,
      { role: subscriber.role, claims: subscriber.claims },
      async (client) => ((await client.query(sql, values)).rowCount ?? 0) > 0 ? "visible" : "hidden",
      { readOnly: true },
    );
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return "unauthorized";
    return "hidden";
  }
}

/** Typed JSON cells back to query parameters (objects and arrays as JSON text). */
function toParam(value: unknown): unknown {
  // pg turns JS arrays into array literals itself; json objects go as JSON text.
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}
