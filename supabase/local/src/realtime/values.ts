/**
 * Turns pgoutput's text cells into the typed JSON values Realtime sends: numbers, booleans,
 * parsed json/jsonb, arrays as JSON arrays; every other type stays as Postgres prints it
 * (realtime-js then only swaps the space of a `timestamp` for a `T`).
 */

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);

/** Converts one text cell of type `typname` (a `pg_type.typname`, `_x` for arrays). */
export function convertCell(typname: string, text: string | null): unknown {
  if (text === null) return null;
  if (typname.startsWith("_")) {
    const element = typname.slice(1);
    return parseArrayLiteral(text, (item) => convertCell(element, item));
  }
  if (typname === "bool") return text === "t" ? true : text === "f" ? false : text;
  if (NUMERIC.has(typname)) {
    const n = Number(text);
    // NaN/Infinity and integers past 2^53 stay text; realtime-js converts what it can.
    if (!Number.isFinite(n)) return text;
    if (Number.isInteger(n) && !Number.isSafeInteger(n)) return text;
    return n;
  }
  if (typname === "json" || typname === "jsonb") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Parses a Postgres array literal such as `{1,2,NULL}`, `{"a,b",c}` or `{{1,2},{3,4}}` into
 * (nested) JS arrays, converting each non-null element with `element`. A literal with bounds
 * (`[1:2]={…}`) or anything malformed is returned unchanged.
 */
export function parseArrayLiteral(text: string, element: (item: string) => unknown): unknown {
  if (!text.startsWith("{")) return text;
  let i = 0;
  const parseLevel = (): unknown[] => {
    const out: unknown[] = [];
    i++; // "{"
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === "{") {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        i++;
        let s = "";
        while (i < text.length && text[i] !== '"') {
          if (text[i] === "\\") i++;
          s += text[i] ?? "";
          i++;
        }
        i++; // closing quote
        out.push(element(s));
      } else {
        let s = "";
        while (i < text.length && text[i] !== "," && text[i] !== "}") s += text[i++];
        out.push(s === "NULL" ? null : element(s.trim()));
      }
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return out;
      }
      throw new SyntaxError(`malformed array literal at ${i}`);
    }
  };
  try {
    const result = parseLevel();
    return i === text.length ? result : text;
  } catch {
    return text;
  }
}
