/**
 * Builds the SQL PostgREST would run for a parsed request. Every value travels as a `$n`
 * parameter (sent untyped, so Postgres coerces it to the column's type); identifiers are
 * quoted; the only other text spliced in are type names from the schema cache or ones that
 * passed the select grammar's strict type-name check.
 */
import pg from "pg";
import { FTS_OPS, SIMPLE_OPS, type Condition, type Field, type OrderTerm, type SelectItem } from "./query.ts";

/** Collects parameter values and hands out their `$n` placeholders. */
export class Params {
  readonly values: string[] = [];
  add(value: string): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A statement and its parameter values. */
export interface Statement {
  text: string;
  values: string[];
}

/** Quotes an identifier. */
export const ident = (name: string): string => pg.escapeIdentifier(name);

/** `"schema"."name"`. */
export const qualified = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;

/** Column types by name, used to cast values where Postgres cannot infer them (`cs`, `any`, …). */
export type ColumnTypes = (column: string) => string | undefined;

/** The SQL for a column reference with its JSON path, relative to relation alias `rel`. */
export function fieldSql(rel: string, field: Field, p: Params): string {
  let sql = `${rel}.${ident(field.name)}`;
  for (const step of field.path) {
    const key = /^-?\d+$/.test(step.key) ? `${p.add(step.key)}::int` : `${p.add(step.key)}::text`;
    sql += `${step.arrow}${key}`;
  }
  return sql;
}

/** The output name PostgREST gives a select item without alias: the last JSON key or the column. */
function defaultName(field: Field): string {
  return field.path.length ? field.path[field.path.length - 1]!.key : field.name;
}

/** The select list; an empty `select=` gives empty objects like PostgREST. */
export function selectListSql(rel: string, items: SelectItem[], p: Params): string {
  return items
    .map((item) => {
      if (item.kind === "star") return `${rel}.*`;
      const expr = fieldSql(rel, item.field, p) + (item.cast ? `::${item.cast}` : "");
      return `${expr} as ${ident(item.alias ?? defaultName(item.field))}`;
    })
    .join(", ");
}

/** Element types of the built-in range types, for `cs` with a single value. */
const RANGE_ELEMENTS: Record<string, string> = {
  int4range: "integer",
  int8range: "bigint",
  numrange: "numeric",
  daterange: "date",
  tsrange: "timestamp without time zone",
  tstzrange: "timestamp with time zone",
};

const likePattern = (value: string): string => value.replace(/\*/g, "%");

/** One filter or logic tree as a boolean SQL expression. */
export function conditionSql(rel: string, cond: Condition, p: Params, types: ColumnTypes): string {
  if (cond.kind === "logic") {
    const joined = cond.children.map((c) => conditionSql(rel, c, p, types)).join(` ${cond.op} `);
    return cond.negated ? `not (${joined})` : `(${joined})`;
  }
  const col = fieldSql(rel, cond.field, p);
  const colType = cond.field.path.length ? undefined : types(cond.field.name);
  const o = cond.operation;
  let sql: string;
  if (o.op === "in") {
    sql = o.values.length ? `${col} in (${o.values.map((v) => p.add(v)).join(", ")})` : "false";
  } else if (o.op === "is") {
    sql = `${col} is ${o.value}`;
  } else if (o.op in FTS_OPS) {
    const fn = FTS_OPS[o.op as keyof typeof FTS_OPS];
    const config = "config" in o && o.config ? `${p.add(o.config)}::regconfig, ` : "";
    sql = `${col} @@ ${fn}(${config}${p.add(o.value)})`;
  } else {
    const op = o.op as keyof typeof SIMPLE_OPS;
    const sqlOp = SIMPLE_OPS[op];
    const textual = op === "like" || op === "ilike" || op === "match" || op === "imatch";
    const value = op === "like" || op === "ilike" ? likePattern(o.value) : o.value;
    if ("quantifier" in o) {
      const elementType = textual ? "text" : colType ?? "text";
      sql = `${col} ${sqlOp} ${o.quantifier}(${p.add(value)}::${elementType}[])`;
    } else if (["cs", "cd", "ov", "sr", "nxl", "sl", "nxr", "adj"].includes(op) && colType) {
      // `range @> element` needs the element type; everything else compares like with like.
      const element = op === "cs" && !/^\s*[[(]|^\s*empty\s*$/i.test(value) ? RANGE_ELEMENTS[colType] : undefined;
      sql = `${col} ${sqlOp} ${p.add(value)}::${element ?? colType}`;
    } else {
      sql = `${col} ${sqlOp} ${p.add(value)}`;
    }
  }
  return cond.negated ? `not (${sql})` : sql;
}

/** `where …` for all conditions (ANDed), or the empty string. */
export function whereSql(rel: string, conds: Condition[], p: Params, types: ColumnTypes): string {
  if (!conds.length) return "";
  return `where ${conds.map((c) => conditionSql(rel, c, p, types)).join(" and ")}`;
}

/** `order by …`, or the empty string. */
export function orderSql(rel: string, terms: OrderTerm[], p: Params): string {
  if (!terms.length) return "";
  const parts = terms.map((t) => {
    let sql = fieldSql(rel, t.field, p);
    if (t.direction) sql += ` ${t.direction}`;
    if (t.nulls) sql += ` nulls ${t.nulls}`;
    return sql;
  });
  return `order by ${parts.join(", ")}`;
}

/** Filters, order and paging of a request. */
export interface Shape {
  select: SelectItem[];
  where: Condition[];
  order: OrderTerm[];
  limit?: number;
  offset: number;
}

/** How the final query shapes its body. */
export type BodyMode = "array" | "first" | "none";

/** Options of the final aggregation query. */
export interface FinalOptions {
  /** CTEs, including the `with` keyword, or empty. */
  with: string;
  /** What to read rows from (a table or a CTE name). */
  from: string;
  rel: string;
  /** Projection; empty for `select=`. */
  select: string;
  where: string;
  tail: string;
  count: boolean;
  body: BodyMode;
  stripNulls: boolean;
  /** For scalar RPC results: aggregate this column instead of the row. */
  scalarColumn?: string;
}

/**
 * The aggregation PostgREST wraps every query in: total (when counted), page size, the JSON
 * body as text (bigints keep their digits), and the `response.*` GUCs set by the query.
 */
export function finalQuery(o: FinalOptions): string {
  const total = o.count ? `(select pg_catalog.count(*) from ${o.from} ${o.rel} ${o.where})` : "null::bigint";
  const item = o.scalarColumn ? `_postgrest_t.${ident(o.scalarColumn)}` : "_postgrest_t";
  const agg = o.stripNulls ? `json_strip_nulls(json_agg(${item}))` : `json_agg(${item})`;
  const body =
    o.body === "array"
      ? `coalesce(${agg}, '[]')::text`
      : o.body === "first"
        ? `coalesce((${agg}->0)::text, 'null')`
        : "null::text";
  return `${o.with}
select ${total} as total, pg_catalog.count(*) as page_total, ${body} as body,
  nullif(current_setting('response.headers', true), '') as response_headers,
  nullif(current_setting('response.status', true), '') as response_status
from (select ${o.select} from ${o.from} ${o.rel} ${o.where} ${o.tail}) _postgrest_t`;
}

function pagingSql(shape: Shape, p: Params): string {
  let sql = "";
  if (shape.limit !== undefined) sql += ` limit ${p.add(String(shape.limit))}::bigint`;
  if (shape.offset) sql += ` offset ${p.add(String(shape.offset))}::bigint`;
  return sql;
}

/** Output options shared by every builder. */
export interface Output {
  count: boolean;
  body: BodyMode;
  stripNulls: boolean;
}

/** Target of a read or write. */
export interface Target {
  schema: string;
  name: string;
  types: ColumnTypes;
}

/** `GET /<table>`. */
export function buildRead(target: Target, shape: Shape, out: Output): Statement {
  const p = new Params();
  const rel = ident(target.name);
  const select = selectListSql(rel, shape.select, p);
  const where = whereSql(rel, shape.where, p, target.types);
  const tail = `${orderSql(rel, shape.order, p)}${pagingSql(shape, p)}`;
  const text = finalQuery({
    with: "",
    from: qualified(target.schema, target.name),
    rel,
    select,
    where,
    tail,
    count: out.count,
    body: out.body,
    stripNulls: out.stripNulls,
  });
  return { text, values: p.values };
}

/** What a write returns from its CTE. */
export type Returning = { kind: "rows" } | { kind: "none" } | { kind: "columns"; columns: string[] };

function returningSql(rel: string, r: Returning): string {
  if (r.kind === "rows") return `${rel}.*`;
  if (r.kind === "columns" && r.columns.length) return r.columns.map((c) => `${rel}.${ident(c)}`).join(", ");
  // No column reference: RLS SELECT policies are not checked, as with PostgREST's return=minimal.
  return "1";
}

/** Wraps a data-modifying CTE named `pgrst_source` in the final aggregation. */
function finishWrite(
  ctes: string,
  target: Target,
  shape: Shape,
  out: Output,
  returning: Returning,
  p: Params,
): Statement {
  const rel = ident(target.name);
  const select =
    returning.kind === "rows"
      ? selectListSql(rel, shape.select, p)
      : returning.kind === "columns"
        ? returning.columns.map((c) => `${rel}.${ident(c)}`).join(", ")
        : "";
  const text = finalQuery({
    with: ctes,
    from: "pgrst_source",
    rel,
    select,
    where: "",
    tail: "",
    count: false,
    body: returning.kind === "none" ? "none" : out.body,
    stripNulls: out.stripNulls,
  });
  return { text, values: p.values };
}

/** Rows of one insert statement, all carrying the same columns. */
export interface InsertGroup {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Options of an insert or upsert. */
export interface InsertOptions {
  groups: InsertGroup[];
  /** `on conflict (…) do update` / `do nothing`; undefined for a plain insert. */
  conflict?: { target: string[]; action: "merge" | "ignore" };
  returning: Returning;
}

/** `POST /<table>`: insert or upsert via json_populate_recordset, like PostgREST. */
export function buildInsert(target: Target, shape: Shape, out: Output, o: InsertOptions): Statement {
  const p = new Params();
  const table = qualified(target.schema, target.name);
  const rel = ident(target.name);
  const returning = returningSql(rel, o.returning);
  const statements: string[] = [];
  for (const group of o.groups) {
    if (group.columns.length === 0) {
      for (let i = 0; i < group.rows.length; i++) {
        statements.push(`insert into ${table} default values returning ${returning}`);
      }
      continue;
    }
    const cols = group.columns.map(ident).join(", ");
    let conflict = "";
    if (o.conflict) {
      const target = o.conflict.target.length ? `(${o.conflict.target.map(ident).join(", ")})` : "";
      conflict =
        o.conflict.action === "merge" && target
          ? `on conflict ${target} do update set ${group.columns.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(", ")}`
          : `on conflict ${target} do nothing`;
    }
    statements.push(
      `insert into ${table} (${cols}) select ${cols} from json_populate_recordset(null::${table}, ${p.add(JSON.stringify(group.rows))}::json) pgrst_body ${conflict} returning ${returning}`,
    );
  }
  const ctes = statements.map((s, i) => `pgrst_w${i} as (${s})`);
  const union = statements.map((_, i) => `select * from pgrst_w${i}`).join(" union all ");
  return finishWrite(`with ${ctes.join(", ")}, pgrst_source as (${union})`, target, shape, out, o.returning, p);
}

/** Restricts a write to the rows `order`/`limit` pick, the way PostgREST does (by ctid). */
function limitedWhere(target: Target, shape: Shape, p: Params): string {
  const rel = ident(target.name);
  const where = whereSql(rel, shape.where, p, target.types);
  if (shape.limit === undefined && !shape.offset) return where;
  const inner = `select ${rel}.ctid from ${qualified(target.schema, target.name)} ${rel} ${where} ${orderSql(rel, shape.order, p)}${pagingSql(shape, p)}`;
  return `where ${rel}.ctid = any(array(${inner}))`;
}

/** `PATCH /<table>`: update the filtered rows with the body's columns. */
export function buildUpdate(
  target: Target,
  shape: Shape,
  out: Output,
  o: { body: Record<string, unknown>; returning: Returning },
): Statement {
  const p = new Params();
  const table = qualified(target.schema, target.name);
  const rel = ident(target.name);
  const columns = Object.keys(o.body);
  const set = columns.map((c) => `${ident(c)} = pgrst_body.${ident(c)}`).join(", ");
  const bodyParam = p.add(JSON.stringify(o.body));
  const where = limitedWhere(target, shape, p);
  const statement = `update ${table} set ${set} from (select * from json_populate_record(null::${table}, ${bodyParam}::json)) pgrst_body ${where} returning ${returningSql(rel, o.returning)}`;
  return finishWrite(`with pgrst_source as (${statement})`, target, shape, out, o.returning, p);
}

/** `DELETE /<table>`: delete the filtered rows. */
export function buildDelete(target: Target, shape: Shape, out: Output, o: { returning: Returning }): Statement {
  const p = new Params();
  const table = qualified(target.schema, target.name);
  const rel = ident(target.name);
  const where = limitedWhere(target, shape, p);
  const statement = `delete from ${table} ${where} returning ${returningSql(rel, o.returning)}`;
  return finishWrite(`with pgrst_source as (${statement})`, target, shape, out, o.returning, p);
}

/** How to call a function. */
export interface RpcCall {
  schema: string;
  name: string;
  /** Named arguments with their SQL types, passed through json_to_record. */
  args?: { name: string; type: string }[];
  argsJson?: string;
  /** A single unnamed json/jsonb parameter that receives the whole body. */
  rawBody?: { type: "json" | "jsonb"; text: string };
  returnKind: "void" | "scalar" | "composite";
  returnsSet: boolean;
}

/**
 * `POST|GET /rpc/<fn>`: calls the function once (a materialized CTE, so counting does not call
 * it again) and shapes the result by return type.
 */
export function buildRpc(call: RpcCall, shape: Shape, out: Output): Statement {
  const p = new Params();
  const fn = qualified(call.schema, call.name);
  let callExpr: string;
  let argsFrom = "";
  if (call.rawBody) {
    callExpr = `${fn}(${p.add(call.rawBody.text)}::${call.rawBody.type})`;
  } else if (call.args?.length) {
    const defs = call.args.map((a) => `${ident(a.name)} ${a.type}`).join(", ");
    const named = call.args.map((a) => `${ident(a.name)} := pgrst_args.${ident(a.name)}`).join(", ");
    argsFrom = `json_to_record(${p.add(call.argsJson ?? "{}")}::json) as pgrst_args(${defs})`;
    callExpr = `${fn}(${named})`;
  } else {
    callExpr = `${fn}()`;
  }
  const from = argsFrom ? `${argsFrom}, lateral ${callExpr} pgrst_call` : `${callExpr} pgrst_call`;
  if (call.returnKind === "void") {
    const text = `with pgrst_source as materialized (select from ${from})
select null::bigint as total, pg_catalog.count(*) as page_total, null::text as body,
  nullif(current_setting('response.headers', true), '') as response_headers,
  nullif(current_setting('response.status', true), '') as response_status
from pgrst_source`;
    return { text, values: p.values };
  }
  const rel = ident(call.name);
  const scalar = call.returnKind === "scalar";
  const source = scalar ? `${from}(${ident(call.name)})` : from;
  // A single composite that is NULL answers `null`, not an object of nulls: call it as a value
  // (once, offset 0 keeps the subquery) and drop the NULL datum before expanding its columns.
  const rows =
    call.returnKind === "composite" && !call.returnsSet
      ? `select (pgrst_s.pgrst_r).* from (select ${callExpr} as pgrst_r ${argsFrom ? `from ${argsFrom}` : ""} offset 0) pgrst_s where pgrst_s.pgrst_r::text is not null`
      : `select pgrst_call.* from ${source}`;
  const ctes = `with pgrst_source as materialized (${rows})`;
  const noTypes: ColumnTypes = () => undefined;
  const select = scalar ? `${rel}.${ident(call.name)}` : selectListSql(rel, shape.select, p);
  const where = whereSql(rel, shape.where, p, noTypes);
  const tail = `${orderSql(rel, shape.order, p)}${pagingSql(shape, p)}`;
  const text = finalQuery({
    with: ctes,
    from: "pgrst_source",
    rel,
    select,
    where,
    tail,
    count: out.count,
    body: call.returnsSet ? out.body : "first",
    stripNulls: out.stripNulls,
    scalarColumn: scalar ? call.name : undefined,
  });
  return { text, values: p.values };
}
