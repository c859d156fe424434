import { existsSync, readFileSync } from "node:fs";

/**
 * A deliberately small reader for the scalar settings of `supabase/config.toml`: `[section]`
 * headers and `key = value` lines whose value is a boolean, a number or a quoted string.
 * Arrays, inline tables, arrays of tables and multi-line strings are skipped (auth and
 * functions need none of them).
 */

/** Scalar values by section, then key: `{ auth: { jwt_expiry: 3600 }, "auth.email": {…} }`. */
export type TomlScalars = Record<string, Record<string, string | number | boolean>>;

/** Parses the scalar settings of a TOML document; unknown syntax is ignored, never guessed. */
export function parseTomlScalars(text: string): TomlScalars {
  const out: TomlScalars = {};
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw).trim();
    if (line === "") continue;
    if (line.startsWith("[")) {
      // `[a.b]`, `[ a . "b" ]`; an array of tables (`[[x]]`) opens a section nothing reads.
      const header = line.match(/^\[\s*([A-Za-z0-9_.\-"\s]+?)\s*\]$/);
      section = header?.[1] ? header[1].replaceAll('"', "").replace(/\s*\.\s*/g, ".") : line;
      continue;
    }
    const pair = line.match(/^([A-Za-z0-9_\-]+)\s*=\s*(.+)$/);
    if (!pair?.[1] || pair[2] === undefined) continue;
    const value = scalar(pair[2].trim());
    if (value === undefined) continue;
    (out[section] ??= {})[pair[1]] = value;
  }
  return out;
}

/** {@link parseTomlScalars} of a file; a missing file has no settings. */
export function readTomlScalars(file: string): TomlScalars {
  return existsSync(file) ? parseTomlScalars(readFileSync(file, "utf8")) : {};
}

function scalar(text: string): string | number | boolean | undefined {
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(text)) return Number(text.replaceAll("_", ""));
  const quoted = text.match(/^"((?:[^"\\]|\\.)*)"$/) ?? text.match(/^'([^']*)'$/);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(["\\])/g, "$1");
  return undefined;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#") return line.slice(0, i);
  }
  return line;
}
