/**
 * Turns a parsed HTTP request into the statement to run and how to answer it, resolving the
 * table or function against the schema cache.
 */
import { columnNotFound, functionNotFound, parseError, PgrstError, tableNotFound } from "./errors.ts";
import {
  parseColumnList,
  parseFilter,
  parseLogic,
  parseNonNegative,
  parseOrder,
  parseSelect,
  type Preferences,
} from "./query.ts";
import type { RoutineInfo, SchemaCache, Table } from "./schema-cache.ts";
import {
  buildDelete,
  buildInsert,
  buildRead,
  buildRpc,
  buildUpdate,
  type InsertGroup,
  type Output,
  type Returning,
  type Shape,
  type Statement,
  type Target,
} from "./sql.ts";

/** Everything about a request the planner needs. */
export interface RequestInfo {
  method: "GET" | "HEAD" | "POST" | "PATCH" | "DELETE";
  /** The exposed schema the request targets (its Accept-/Content-Profile, else the first). */
  schema: string;
  route: { kind: "table" | "rpc"; name: string };
  params: URLSearchParams;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  prefs: Preferences;
  single: boolean;
  stripNulls: boolean;
  range?: { from: number; to?: number };
}

/** What to run and how to answer. */
export interface Plan {
  statement: Statement;
  readOnly: boolean;
  kind: "read" | "insert" | "update" | "delete" | "rpc";
  /** First row's offset, for Content-Range. */
  offset: number;
  single: boolean;
  /** True when the response carries the rows (reads, RPC, `return=representation`). */
  returnsBody: boolean;
  /** For `return=headers-only` inserts: build `Location` from these PK columns. */
  location?: { table: string; primaryKey: string[] };
  rpcVoid: boolean;
}

const RESERVED = new Set(["select", "order", "limit", "offset", "columns", "on_conflict"]);
const LOGIC_KEYS = new Set(["or", "and", "not.or", "not.and"]);

interface ParsedParams {
  shape: Shape;
  columns?: string[];
  onConflict?: string[];
  /** Query parameters taken as function arguments (GET /rpc). */
  args: Record<string, string>;
}

/** Classifies the query string: select/order/paging, filters, logic trees and RPC arguments. */
export function parseParams(
  params: URLSearchParams,
  range: RequestInfo["range"],
  isArg: (key: string) => boolean = () => false,
): ParsedParams {
  const shape: Shape = { select: [{ kind: "star" }], where: [], order: [], offset: 0 };
  const out: ParsedParams = { shape, args: {} };
  let limit: number | undefined;
  for (const [key, value] of params) {
    if (key === "select") shape.select = parseSelect(value);
    else if (key === "order") shape.order = parseOrder(value);
    else if (key === "limit") limit = parseNonNegative("limit", value);
    else if (key === "offset") shape.offset = parseNonNegative("offset", value);
    else if (key === "columns") out.columns = parseColumnList(value);
    else if (key === "on_conflict") out.onConflict = parseColumnList(value);
    else if (LOGIC_KEYS.has(key)) shape.where.push(parseLogic(key, value));
    else if (isArg(key)) out.args[key] = value;
    else if (/^[^"]*\.(select|order|limit|offset|or|and)$/.test(key)) {
      throw parseError(`"${key}" targets an embedded resource; the local stack does not support embedding`);
    } else shape.where.push(parseFilter(key, value));
  }
  shape.limit = limit;
  if (range) {
    const lower = Math.max(range.from, shape.offset);
    const upperCandidates = [range.to, limit !== undefined ? shape.offset + limit - 1 : undefined].filter(
      (n): n is number => n !== undefined,
    );
    shape.offset = lower;
    shape.limit = upperCandidates.length ? Math.max(0, Math.min(...upperCandidates) - lower + 1) : undefined;
  }
  return out;
}

function findTable(cache: SchemaCache, schema: string, name: string): Table {
  const table = cache.table(schema, name);
  if (!table) throw tableNotFound(schema, name);
  return table;
}

function targetOf(table: Table): Target {
  return { schema: table.schema, name: table.name, types: (c) => table.columns.get(c)?.type };
}

function requireColumns(table: Table, columns: Iterable<string>): void {
  for (const c of columns) if (!table.columns.has(c)) throw columnNotFound(table.name, c);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalidBody(message: string): PgrstError {
  return new PgrstError(400, "PGRST102", message);
}

/** Builds the plan for a request; throws PGRST205/204/202 when the cache lacks a name. */
export function planRequest(cache: SchemaCache, info: RequestInfo): Plan {
  if (info.route.kind === "rpc") return planRpc(cache, info);
  const table = findTable(cache, info.schema, info.route.name);
  const target = targetOf(table);
  const { shape, columns, onConflict } = parseParams(info.params, info.range);
  const count = info.prefs.count !== undefined;
  const out = (returnsBody: boolean): Output => ({
    count,
    body: returnsBody ? (info.single ? "first" : "array") : "none",
    stripNulls: info.stripNulls,
  });
  const base = { offset: shape.offset, single: info.single, rpcVoid: false };

  if (info.method === "GET" || info.method === "HEAD") {
    return { ...base, kind: "read", readOnly: true, returnsBody: true, statement: buildRead(target, shape, out(true)) };
  }

  const wantsRows = info.prefs.return === "representation";
  const headersOnly = info.prefs.return === "headers-only";
  const returning: Returning = wantsRows
    ? { kind: "rows" }
    : headersOnly && table.primaryKey.length
      ? { kind: "columns", columns: table.primaryKey }
      : { kind: "none" };
  const writeOut: Output = {
    count,
    body: wantsRows ? (info.single ? "first" : "array") : returning.kind === "columns" ? "array" : "none",
    stripNulls: info.stripNulls,
  };

  if (info.method === "POST") {
    const rows = Array.isArray(info.body) ? info.body : [info.body];
    if (!rows.every(isObject)) throw invalidBody("All object keys must match");
    const objects = rows as Record<string, unknown>[];
    const cols = columns ?? [...new Set(objects.flatMap((r) => Object.keys(r)))];
    requireColumns(table, cols);
    const groups = groupRows(objects, cols, info.prefs.missing === "default");
    let conflict: { target: string[]; action: "merge" | "ignore" } | undefined;
    if (info.prefs.resolution) {
      const targetCols = onConflict ?? table.primaryKey;
      requireColumns(table, targetCols);
      if (info.prefs.resolution === "merge-duplicates" && !targetCols.length) {
        throw new PgrstError(400, "PGRST102", `An upsert into '${table.name}' needs a primary key or on_conflict`);
      }
      conflict = { target: targetCols, action: info.prefs.resolution === "merge-duplicates" ? "merge" : "ignore" };
    } else if (onConflict) {
      requireColumns(table, onConflict);
    }
    return {
      ...base,
      kind: "insert",
      readOnly: false,
      returnsBody: wantsRows,
      location: headersOnly && table.primaryKey.length ? { table: table.name, primaryKey: table.primaryKey } : undefined,
      statement: buildInsert(target, shape, writeOut, { groups, conflict, returning }),
    };
  }
  if (info.method === "PATCH") {
    if (!isObject(info.body)) throw invalidBody("Empty or invalid json");
    requireColumns(table, Object.keys(info.body));
    return {
      ...base,
      kind: "update",
      readOnly: false,
      returnsBody: wantsRows,
      statement: buildUpdate(target, shape, writeOut, { body: info.body, returning }),
    };
  }
  return {
    ...base,
    kind: "delete",
    readOnly: false,
    returnsBody: wantsRows,
    statement: buildDelete(target, shape, writeOut, { returning }),
  };
}

/**
 * Groups insert rows by the columns to write. Without `missing=default` every row writes all
 * `columns` (absent keys become NULL); with it, each row writes only the keys it has, so the
 * others take their DEFAULT.
 */
export function groupRows(rows: Record<string, unknown>[], columns: string[], missingDefault: boolean): InsertGroup[] {
  if (!missingDefault) return rows.length ? [{ columns, rows }] : [];
  const groups = new Map<string, InsertGroup>();
  for (const row of rows) {
    const present = columns.filter((c) => c in row);
    const key = JSON.stringify(present);
    const group = groups.get(key) ?? { columns: present, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Picks the overload whose argument names fit: every provided name is an argument and every
 * argument without a default is provided. A function with a single unnamed json/jsonb
 * parameter takes any body.
 */
export function resolveRoutine(
  routines: RoutineInfo[],
  provided: string[],
  options: { get: boolean },
): { routine: RoutineInfo; rawBody: boolean } | undefined {
  const named = routines.filter((r) => !r.variadic && r.args.every((a) => a.name !== ""));
  let best: RoutineInfo | undefined;
  let bestScore = -1;
  for (const r of named) {
    const names = new Set(r.args.map((a) => a.name));
    const given = provided.filter((k) => names.has(k));
    // POST: every key must be an argument. GET: other keys are filters on the result.
    if (!options.get && given.length !== provided.length) continue;
    if (!r.args.every((a) => a.hasDefault || given.includes(a.name))) continue;
    const score = given.length * 1000 - r.args.length;
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  if (best) return { routine: best, rawBody: false };
  const raw = routines.find(
    (r) => r.args.length === 1 && r.args[0]!.name === "" && ["json", "jsonb"].includes(r.args[0]!.type),
  );
  if (raw && !options.get) return { routine: raw, rawBody: true };
  return undefined;
}

function planRpc(cache: SchemaCache, info: RequestInfo): Plan {
  const name = info.route.name;
  const routines = cache.functions(info.schema, name);
  const get = info.method === "GET" || info.method === "HEAD";
  let body: Record<string, unknown> = {};
  let provided: string[];
  if (get) {
    provided = [...new Set([...info.params.keys()].filter((k) => !RESERVED.has(k) && !LOGIC_KEYS.has(k)))];
  } else {
    if (info.body !== undefined && !isObject(info.body) && !routines.some((r) => r.args[0]?.name === "")) {
      throw invalidBody("The request body of an RPC call must be a JSON object of named arguments");
    }
    body = isObject(info.body) ? info.body : {};
    provided = Object.keys(body);
  }
  const resolved = resolveRoutine(routines, provided, { get });
  if (!resolved) throw functionNotFound(info.schema, name, provided);
  const { routine, rawBody } = resolved;
  const argNames = new Set(routine.args.map((a) => a.name));
  const { shape, args } = parseParams(info.params, info.range, get ? (k) => argNames.has(k) : () => false);
  const values: Record<string, unknown> = get ? args : body;
  const callArgs = routine.args.filter((a) => a.name in values).map((a) => ({ name: a.name, type: a.type }));
  const rawType = routine.args[0]?.type === "jsonb" ? "jsonb" : "json";
  const statement = buildRpc(
    {
      schema: routine.schema,
      name: routine.name,
      args: rawBody ? undefined : callArgs,
      argsJson: JSON.stringify(Object.fromEntries(callArgs.map((a) => [a.name, values[a.name]]))),
      rawBody: rawBody ? { type: rawType, text: JSON.stringify(info.body ?? {}) } : undefined,
      returnKind: routine.returnKind,
      returnsSet: routine.returnsSet,
    },
    shape,
    { count: info.prefs.count !== undefined, body: info.single ? "first" : "array", stripNulls: info.stripNulls },
  );
  return {
    statement,
    readOnly: get || routine.volatility !== "v",
    kind: "rpc",
    offset: shape.offset,
    single: info.single && routine.returnsSet,
    returnsBody: routine.returnKind !== "void",
    rpcVoid: routine.returnKind === "void",
  };
}
