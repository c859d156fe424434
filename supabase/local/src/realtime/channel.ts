import { FilterError, matchesFilter, parseFilter, type FilterCondition } from "./filter.ts";
import type { Change } from "./wal.ts";

/** One `postgres_changes` binding of a join, as the client sent it plus the id we assigned. */
export interface Binding {
  id: number;
  /** `INSERT`, `UPDATE`, `DELETE` or `*`, upper-cased. */
  event: string;
  schema: string;
  table: string | undefined;
  conditions: FilterCondition[];
  /** The client's object, echoed verbatim in the join reply (with `id`). */
  echo: Record<string, unknown>;
}

/** The subscriber identity RLS runs as. */
export interface Subscriber {
  token: string;
  role: string;
  claims: Record<string, unknown>;
}

const EVENTS = new Set(["INSERT", "UPDATE", "DELETE", "*"]);

/**
 * A stable, positive, non-zero id for a binding (realtime-js ignores a falsy id), derived from
 * its parameters like Realtime's `phash2`, so a rejoin gets the same ids.
 */
export function bindingId(params: unknown[]): number {
  let h = 0x811c9dc5;
  const text = JSON.stringify(params);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 2_147_483_646) + 1;
}

/**
 * Reads `config.postgres_changes` of a join payload. Returns every binding (for the echo) and the
 * problems found (bad event, missing schema, filter that does not parse); bindings with a
 * problem never fire.
 */
export function parseBindings(config: unknown): { bindings: Binding[]; errors: string[] } {
  const list = (config as { postgres_changes?: unknown } | undefined)?.postgres_changes;
  const bindings: Binding[] = [];
  const errors: string[] = [];
  if (!Array.isArray(list)) return { bindings, errors };
  for (const item of list) {
    const echo: Record<string, unknown> =
      item !== null && typeof item === "object" ? { ...(item as Record<string, unknown>) } : {};
    const event = typeof echo.event === "string" ? echo.event.toUpperCase() : "";
    const schema = typeof echo.schema === "string" ? echo.schema : "";
    const table = typeof echo.table === "string" && echo.table !== "" ? echo.table : undefined;
    const filter = typeof echo.filter === "string" ? echo.filter : undefined;
    const id = bindingId([echo.event ?? null, echo.schema ?? null, echo.table ?? null, echo.filter ?? null]);
    let conditions: FilterCondition[] = [];
    let ok = true;
    if (!EVENTS.has(event)) {
      errors.push(`Error parsing \`event\` params: expected INSERT, UPDATE, DELETE or *, got ${JSON.stringify(echo.event)}`);
      ok = false;
    } else if (schema === "") {
      errors.push("Error parsing params: `schema` is required");
      ok = false;
    } else {
      try {
        conditions = parseFilter(filter);
      } catch (error) {
        if (!(error instanceof FilterError)) throw error;
        errors.push(`Error parsing \`filter\` params: ${error.message}`);
        ok = false;
      }
    }
    bindings.push({ id, event: ok ? event : "", schema, table, conditions, echo: { ...echo, id } });
  }
  return { bindings, errors };
}

/**
 * The ids of `bindings` a change fires: event `*` or equal, schema `*` or equal, table absent,
 * `*` or equal, and the filter holding on the new row (the old row for DELETE).
 */
export function matchingIds(bindings: Binding[], change: Change): number[] {
  const ids: number[] = [];
  const row = change.type === "DELETE" ? change.oldRecord : change.record;
  for (const b of bindings) {
    if (b.event === "") continue;
    if (b.event !== "*" && b.event !== change.type) continue;
    if (b.schema !== "*" && b.schema !== change.schema) continue;
    if (b.table !== undefined && b.table !== "*" && b.table !== change.table) continue;
    if (b.conditions.length > 0 && !(row && matchesFilter(b.conditions, row, change.types))) continue;
    if (!ids.includes(b.id)) ids.push(b.id);
  }
  return ids;
}
