/**
 * The `filter` of a postgres_changes binding: `col=op.value`, optionally `not.`-prefixed and
 * comma-ANDed (values quoted PostgREST-style when they hold `,()"\`), with the operators the
 * 2.109 client's `postgresChangesFilter()` builds: eq neq lt lte gt gte in like ilike is match
 * imatch isdistinct. Conditions are evaluated in JS against the typed record with SQL
 * three-valued logic (a comparison with NULL is never true, and `not.` keeps it so).
 */

/** A filter string that does not parse; reported as a `system` error, not a join error. */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

/** The operators a condition may use. */
export type FilterOperator =
  | "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in"
  | "like" | "ilike" | "is" | "match" | "imatch" | "isdistinct";

const OPERATORS = new Set<string>(["eq", "neq", "lt", "lte", "gt", "gte", "in", "like", "ilike", "is", "match", "imatch", "isdistinct"]);

/** One `col=[not.]op.value` condition. */
export interface FilterCondition {
  column: string;
  operator: FilterOperator;
  negate: boolean;
  /** The value (unquoted); for `in`, the list. */
  value: string | string[];
}

/** Splits on `sep` outside double quotes and parentheses. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      current += c;
      if (c === "\\" && i + 1 < text.length) current += text[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === sep && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  if (quoted || depth !== 0) throw new FilterError(`unbalanced quotes or parentheses in "${text}"`);
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return value;
}

/**
 * Parses a binding's filter; undefined or "" means "no filter" (an empty list).
 * Throws {@link FilterError} saying what was expected.
 */
export function parseFilter(filter: string | undefined | null): FilterCondition[] {
  if (filter === undefined || filter === null || filter === "") return [];
  return splitTopLevel(filter, ",").map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new FilterError(`expected "column=operator.value", got "${part}"`);
    const column = part.slice(0, eq).trim();
    let rest = part.slice(eq + 1);
    let negate = false;
    if (rest.startsWith("not.")) {
      negate = true;
      rest = rest.slice(4);
    }
    const dot = rest.indexOf(".");
    const operator = dot < 0 ? rest : rest.slice(0, dot);
    if (!OPERATORS.has(operator)) {
      throw new FilterError(`unknown operator "${operator}" in "${part}"; expected one of ${[...OPERATORS].join(", ")}`);
    }
    const raw = dot < 0 ? "" : rest.slice(dot + 1);
    if (operator === "in") {
      if (!raw.startsWith("(") || !raw.endsWith(")")) {
        throw new FilterError(`expected "in.(a,b,…)" in "${part}"`);
      }
      const items = splitTopLevel(raw.slice(1, -1), ",").map((v) => unquote(v.trim()));
      return { column, operator: "in", negate, value: items };
    }
    if (dot < 0) throw new FilterError(`expected a value after "${operator}." in "${part}"`);
    if (operator === "is" && !["null", "true", "false", "unknown"].includes(raw.toLowerCase())) {
      throw new FilterError(`"is" takes null, true, false or unknown, got "${raw}" in "${part}"`);
    }
    return { column, operator: operator as FilterOperator, negate, value: unquote(raw) };
  });
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const TIMES = new Set(["timestamp", "timestamptz", "date"]);

/** Compares a typed cell with a filter literal of the column's type; null when incomparable. */
function compare(cell: unknown, literal: string, typname: string): number | null {
  if (cell === null || cell === undefined) return null;
  if (NUMERIC.has(typname)) {
    const a = Number(cell);
    const b = Number(literal);
    if (Number.isNaN(a) || Number.isNaN(b)) return null;
    return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typname === "bool") {
    const b = /^(t|true|1|y|yes|on)$/i.test(literal) ? true : /^(f|false|0|n|no|off)$/i.test(literal) ? false : null;
    if (b === null || typeof cell !== "boolean") return null;
    return cell === b ? 0 : cell ? 1 : -1;
  }
  if (TIMES.has(typname)) {
    const a = Date.parse(String(cell).replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
    const b = Date.parse(literal.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
    if (!Number.isNaN(a) && !Number.isNaN(b)) return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typname === "json" || typname === "jsonb") {
    try {
      return JSON.stringify(cell) === JSON.stringify(JSON.parse(literal)) ? 0 : null;
    } catch {
      return null;
    }
  }
  const a = typname === "uuid" ? String(cell).toLowerCase() : String(cell);
  const b = typname === "uuid" ? literal.toLowerCase() : literal;
  return a === b ? 0 : a < b ? -1 : 1;
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "%") source += "[\\s\\S]*";
    else if (c === "_") source += "[\\s\\S]";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, flags);
}

/** Evaluates one condition: true, false, or null (unknown, as SQL would). */
function evaluate(cond: FilterCondition, cell: unknown, typname: string): boolean | null {
  const v = cond.value;
  switch (cond.operator) {
    case "eq": case "neq": case "lt": case "lte": case "gt": case "gte": {
      const c = compare(cell, v as string, typname);
      if (c === null) return cell === null || cell === undefined ? null : cond.operator === "neq";
      return { eq: c === 0, neq: c !== 0, lt: c < 0, lte: c <= 0, gt: c > 0, gte: c >= 0 }[cond.operator];
    }
    case "in": {
      if (cell === null || cell === undefined) return null;
      return (v as string[]).some((item) => compare(cell, item, typname) === 0);
    }
    case "like": case "ilike": {
      if (cell === null || cell === undefined) return null;
      return likeToRegExp(v as string, cond.operator === "ilike" ? "i" : "").test(String(cell));
    }
    case "match": case "imatch": {
      if (cell === null || cell === undefined) return null;
      try {
        return new RegExp(v as string, cond.operator === "imatch" ? "i" : "").test(String(cell));
      } catch {
        return null;
      }
    }
    case "is": {
      const want = (v as string).toLowerCase();
      if (want === "null" || want === "unknown") return cell === null || cell === undefined;
      return cell === (want === "true");
    }
    case "isdistinct": {
      const literalNull = (v as string).toLowerCase() === "null";
      const cellNull = cell === null || cell === undefined;
      if (cellNull || literalNull) return cellNull !== literalNull;
      return compare(cell, v as string, typname) !== 0;
    }
  }
}

/**
 * True when every condition holds for `row` (typed cells by column name); `types` maps column
 * names to `pg_type.typname`. A condition on a column the row does not carry (e.g. the old row
 * of a DELETE without REPLICA IDENTITY FULL) does not hold.
 */
export function matchesFilter(
  conditions: FilterCondition[],
  row: Record<string, unknown>,
  types: Record<string, string>,
): boolean {
  for (const cond of conditions) {
    if (!(cond.column in row) || types[cond.column] === undefined) return false;
    let result = evaluate(cond, row[cond.column], types[cond.column]!);
    if (result !== null && cond.negate) result = !result;
    if (result !== true) return false;
  }
  return true;
}
