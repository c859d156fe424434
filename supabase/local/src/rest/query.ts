/**
 * Parsers for PostgREST's query-string grammar (select, filters, logic trees, order, columns)
 * and its request headers (Prefer, Range). Pure functions; errors are PGRST100 {@link PgrstError}s.
 */
import { PgrstError, parseError } from "./errors.ts";

/** One `->` / `->>` step of a JSON path. */
export interface JsonStep {
  arrow: "->" | "->>";
  key: string;
}

/** A column reference, optionally followed by a JSON path: `data->a->>b`. */
export interface Field {
  name: string;
  path: JsonStep[];
}

/** One item of `select=`. */
export type SelectItem =
  | { kind: "star" }
  | { kind: "column"; field: Field; alias?: string; cast?: string };

/** Operators taking a single value. */
export const SIMPLE_OPS = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
  isdistinct: "is distinct from",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sr: ">>",
  nxl: "&<",
  sl: "<<",
  nxr: "&>",
  adj: "-|-",
} as const;

/** Operators that may be quantified with `(any)` / `(all)` over a `{a,b}` list. */
const QUANTIFIABLE = new Set(["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"]);

/** Full-text-search operators and the tsquery function each one uses. */
export const FTS_OPS = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
} as const;

/** What a filter compares with. */
export type Operation =
  | { op: keyof typeof SIMPLE_OPS; value: string }
  | { op: keyof typeof SIMPLE_OPS; quantifier: "any" | "all"; value: string }
  | { op: "in"; values: string[] }
  | { op: "is"; value: "null" | "true" | "false" | "unknown" }
  | { op: keyof typeof FTS_OPS; config?: string; value: string };

/** `col=[not.]op.value`. */
export interface Filter {
  kind: "filter";
  field: Field;
  negated: boolean;
  operation: Operation;
}

/** `or=(…)`, `and=(…)`, `not.or=(…)` and their nested forms. */
export interface Logic {
  kind: "logic";
  op: "and" | "or";
  negated: boolean;
  children: Condition[];
}

export type Condition = Filter | Logic;

/** One term of `order=`. */
export interface OrderTerm {
  field: Field;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

const FIELD_STOP = new Set([":", ".", ",", "(", ")", "!"]);

/** A small cursor over a string, used by the recursive-descent parsers below. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(n = 1): string {
    return this.text.slice(this.pos, this.pos + n);
  }
  eat(token: string): boolean {
    if (this.text.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }
  rest(): string {
    return this.text.slice(this.pos);
  }
}

/** Reads `"quoted \" value"` at the cursor (the opening quote already checked). */
function readQuoted(c: Cursor): string {
  c.pos++;
  let out = "";
  while (!c.done) {
    const ch = c.text[c.pos]!;
    if (ch === "\\" && c.pos + 1 < c.text.length) {
      out += c.text[c.pos + 1];
      c.pos += 2;
      continue;
    }
    if (ch === '"') {
      c.pos++;
      return out;
    }
    out += ch;
    c.pos++;
  }
  throw parseError(`unterminated quote in "${c.text}"`);
}

/** Reads a column or JSON key name: quoted, or up to a delimiter / arrow. */
function readName(c: Cursor, what: string): string {
  if (c.peek() === '"') return readQuoted(c);
  const start = c.pos;
  while (!c.done) {
    const ch = c.text[c.pos]!;
    if (FIELD_STOP.has(ch) || c.peek(2) === "->") break;
    c.pos++;
  }
  const name = c.text.slice(start, c.pos);
  if (!name) throw parseError(`expected a ${what} at position ${start + 1} of "${c.text}"`);
  return name;
}

function readField(c: Cursor): Field {
  const name = readName(c, "column name");
  const path: JsonStep[] = [];
  for (;;) {
    const arrow = c.eat("->>") ? "->>" : c.eat("->") ? "->" : undefined;
    if (!arrow) break;
    path.push({ arrow, key: readName(c, "JSON key") });
  }
  return { name, path };
}

/** Parses a field such as `data->a->>b` (the whole string must be consumed). */
export function parseField(text: string): Field {
  const c = new Cursor(text);
  const field = readField(c);
  if (!c.done) throw parseError(`unexpected "${c.rest()}" after column "${field.name}"`);
  return field;
}

const CAST_RE = /^[A-Za-z_][A-Za-z0-9_]*(\[\])?$/;

/**
 * Parses `select=` (whitespace already stripped by the client). Embedded resources, spreads and
 * aggregates (`rel(…)`, `...rel(…)`, `count()`) are not supported by the local stack and are
 * refused with a PGRST100 saying so.
 */
export function parseSelect(text: string): SelectItem[] {
  if (text === "") return [];
  const items: SelectItem[] = [];
  for (const part of splitTopLevel(text, ",")) {
    if (part === "*") {
      items.push({ kind: "star" });
      continue;
    }
    if (/[()!]/.test(part) || part.startsWith("...")) {
      throw parseError(
        `embedded resources, spreads and aggregates are not supported by the local stack: "${part}"`,
        "Select plain columns here, or use a view or an RPC.",
      );
    }
    const c = new Cursor(part);
    let alias: string | undefined;
    let field = readField(c);
    if (c.peek() === ":" && c.peek(2) !== "::") {
      c.pos++;
      if (field.path.length) throw parseError(`an alias cannot contain "->": "${part}"`);
      alias = field.name;
      field = readField(c);
    }
    let cast: string | undefined;
    if (c.eat("::")) {
      cast = c.rest();
      c.pos = c.text.length;
      if (!CAST_RE.test(cast)) throw parseError(`"${cast}" is not a type name in "${part}"`);
    }
    if (!c.done) throw parseError(`failed to parse select item "${part}"`);
    items.push({ kind: "column", field, alias, cast });
  }
  return items;
}

/** Splits on `sep` outside double quotes, parentheses and braces. */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      current += ch;
      if (ch === "\\" && i + 1 < text.length) current += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    // A double quote opens a quoted value only where a value starts (item start, after `.` or `(`).
    const prev = current === "" ? "" : text[i - 1];
    if (ch === '"' && (prev === "" || prev === "." || prev === "(")) quoted = true;
    else if (ch === "(" || ch === "{") depth++;
    else if (ch === ")" || ch === "}") depth--;
    if (depth < 0) throw parseError(`unbalanced parentheses in "${text}"`);
    if (ch === sep && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  if (quoted || depth !== 0) throw parseError(`unbalanced quotes or parentheses in "${text}"`);
  parts.push(current);
  return parts;
}

/** Removes surrounding double quotes (with `\` escapes) from a list item or logic-tree value. */
function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return readQuoted(new Cursor(text));
  }
  return text;
}

/**
 * Parses the `[not.]op.value` part of a filter. `inTree` is true inside `or=(…)`, where values
 * may be double-quoted.
 */
export function parseOperation(text: string, inTree = false): { negated: boolean; operation: Operation } {
  let rest = text;
  let negated = false;
  if (rest.startsWith("not.")) {
    negated = true;
    rest = rest.slice(4);
  }
  const match = /^([a-z]+)(?:\(([^)]*)\))?\./.exec(rest);
  if (!match) throw parseError(`failed to parse filter (${text})`, "Expected <operator>.<value>, e.g. eq.1");
  const op = match[1]!;
  const modifier = match[2];
  const raw = rest.slice(match[0].length);
  const value = inTree ? unquote(raw) : raw;

  if (op === "in") {
    if (modifier !== undefined) throw parseError(`failed to parse filter (${text})`);
    if (!raw.startsWith("(") || !raw.endsWith(")")) {
      throw parseError(`failed to parse filter (${text})`, 'Expected in.(a,b,"c,d")');
    }
    const inner = raw.slice(1, -1);
    const values = inner === "" ? [] : splitTopLevel(inner, ",").map(unquote);
    return { negated, operation: { op: "in", values } };
  }
  if (op === "is") {
    const v = value.toLowerCase();
    if (modifier !== undefined || !["null", "true", "false", "unknown"].includes(v)) {
      throw parseError(`failed to parse filter (${text})`, "is. accepts null, true, false or unknown");
    }
    return { negated, operation: { op: "is", value: v as "null" } };
  }
  if (op in FTS_OPS) {
    return { negated, operation: { op: op as keyof typeof FTS_OPS, config: modifier || undefined, value } };
  }
  if (op in SIMPLE_OPS) {
    const simple = op as keyof typeof SIMPLE_OPS;
    if (modifier === undefined) return { negated, operation: { op: simple, value } };
    if ((modifier === "any" || modifier === "all") && QUANTIFIABLE.has(op)) {
      if (!value.startsWith("{") || !value.endsWith("}")) {
        throw parseError(`failed to parse filter (${text})`, `Expected ${op}(${modifier}).{a,b}`);
      }
      return { negated, operation: { op: simple, quantifier: modifier, value } };
    }
  }
  throw parseError(`failed to parse filter (${text})`, `unknown operator "${op}${modifier === undefined ? "" : `(${modifier})`}"`);
}

/** Parses a `col=[not.]op.value` query parameter. */
export function parseFilter(key: string, value: string): Filter {
  const field = parseField(key);
  const { negated, operation } = parseOperation(value);
  return { kind: "filter", field, negated, operation };
}

/** Parses `or=(…)` / `and=(…)` / `not.or=(…)` (key and value as in the query string). */
export function parseLogic(key: string, value: string): Logic {
  const negated = key.startsWith("not.");
  const op = (negated ? key.slice(4) : key) as "and" | "or";
  if (!value.startsWith("(") || !value.endsWith(")")) {
    throw parseError(`failed to parse logic tree (${value})`, `Expected ${key}=(a.eq.1,b.eq.2)`);
  }
  return { kind: "logic", op, negated, children: parseTreeItems(value.slice(1, -1)) };
}

function parseTreeItems(inner: string): Condition[] {
  if (inner === "") throw parseError("empty logic tree");
  return splitTopLevel(inner, ",").map(parseTreeItem);
}

function parseTreeItem(item: string): Condition {
  const nested = /^(not\.)?(and|or)\((.*)\)$/s.exec(item);
  if (nested) {
    return {
      kind: "logic",
      op: nested[2] as "and" | "or",
      negated: nested[1] !== undefined,
      children: parseTreeItems(nested[3]!),
    };
  }
  const c = new Cursor(item);
  const field = readField(c);
  if (!c.eat(".")) throw parseError(`failed to parse logic tree item (${item})`);
  const { negated, operation } = parseOperation(c.rest(), true);
  return { kind: "filter", field, negated, operation };
}

/** Parses `order=a.desc.nullslast,b`. */
export function parseOrder(text: string): OrderTerm[] {
  return splitTopLevel(text, ",").map((part) => {
    const c = new Cursor(part);
    const field = readField(c);
    const term: OrderTerm = { field };
    const modifiers = c.rest() === "" ? [] : c.rest().replace(/^\./, "").split(".");
    if (c.rest() !== "" && !c.rest().startsWith(".")) throw parseError(`failed to parse order (${part})`);
    for (const m of modifiers) {
      if (m === "asc" || m === "desc") term.direction = m;
      else if (m === "nullsfirst") term.nulls = "first";
      else if (m === "nullslast") term.nulls = "last";
      else throw parseError(`failed to parse order (${part})`, `unknown modifier "${m}"`);
    }
    return term;
  });
}

/** Parses `columns="a","b"` or `on_conflict=a,b` into plain names. */
export function parseColumnList(text: string): string[] {
  return splitTopLevel(text, ",").map((part) => {
    const name = unquote(part);
    if (!name) throw parseError(`empty column name in "${text}"`);
    return name;
  });
}

/** Parses a non-negative integer query parameter (`limit`, `offset`). */
export function parseNonNegative(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw parseError(`failed to parse ${name} (${text})`, "Expected a non-negative integer");
  return Number(text);
}

/** The preferences PostgREST understands, from one or more comma-joined `Prefer` headers. */
export interface Preferences {
  return?: "minimal" | "representation" | "headers-only";
  count?: "exact" | "planned" | "estimated";
  resolution?: "merge-duplicates" | "ignore-duplicates";
  missing?: "default" | "null";
  handling?: "strict" | "lenient";
  maxAffected?: number;
  tx?: "commit" | "rollback";
}

/** Parses `Prefer` values; unknown ones are ignored, as PostgREST does with `handling=lenient`. */
export function parsePrefer(header: string | undefined): Preferences {
  const prefs: Preferences = {};
  for (const raw of (header ?? "").split(",")) {
    const [key, value] = raw.trim().split("=").map((s) => s.trim());
    if (!key || value === undefined) continue;
    if (key === "return" && ["minimal", "representation", "headers-only"].includes(value)) {
      prefs.return = value as Preferences["return"];
    } else if (key === "count" && ["exact", "planned", "estimated"].includes(value)) {
      prefs.count = value as Preferences["count"];
    } else if (key === "resolution" && ["merge-duplicates", "ignore-duplicates"].includes(value)) {
      prefs.resolution = value as Preferences["resolution"];
    } else if (key === "missing" && (value === "default" || value === "null")) {
      prefs.missing = value;
    } else if (key === "handling" && (value === "strict" || value === "lenient")) {
      prefs.handling = value;
    } else if (key === "max-affected" && /^\d+$/.test(value)) {
      prefs.maxAffected = Number(value);
    } else if (key === "tx" && (value === "commit" || value === "rollback")) {
      prefs.tx = value;
    }
  }
  return prefs;
}

/** A `Range: 0-9` header (also `items=0-9`) as offset and optional inclusive end. */
export function parseRange(header: string | undefined): { from: number; to?: number } | undefined {
  if (!header) return undefined;
  const match = /^(?:items=)?\s*(\d+)-(\d*)\s*$/.exec(header);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] ? Number(match[2]) : undefined;
  if (to !== undefined && to < from) {
    throw new PgrstError(416, "PGRST103", "Requested range not satisfiable", {
      details: `The lower boundary must be lower than or equal to the upper boundary in the Range header.`,
    });
  }
  return { from, to };
}
