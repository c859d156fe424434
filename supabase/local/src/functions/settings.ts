import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

/** Per-function settings from `config.toml` `[functions.<name>]` (the keys this stack honours). */
export interface FunctionSettings {
  /** `verify_jwt`, default true: the gateway demands a valid project JWT (except on OPTIONS). */
  verifyJwt: boolean;
  /** `enabled`, default true: a disabled function answers 404 like an unknown one. */
  enabled: boolean;
  /** `entrypoint`, relative to the `supabase/` folder (default `<dir>/<name>/index.ts`). */
  entrypoint?: string;
  /** `import_map`, relative to the `supabase/` folder (default: the function's or the root deno.json). */
  importMap?: string;
}

const DEFAULTS: FunctionSettings = { verifyJwt: true, enabled: true };

/**
 * Reads the `[functions.<name>]` tables of a Supabase `config.toml`. Only what this stack
 * needs: table headers, `key = true|false` and `key = "string"` lines; everything else is
 * ignored, so the file stays the one the real CLI reads.
 */
export function parseFunctionSettings(toml: string): Map<string, FunctionSettings> {
  const result = new Map<string, FunctionSettings>();
  let current: FunctionSettings | undefined;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
    if (line === "") continue;
    const table = line.match(/^\[\s*([^\]]+?)\s*\]$/);
    if (table) {
      const name = table[1]!.match(/^functions\.(?:"([^"]+)"|([A-Za-z0-9_-]+))$/);
      const fn = name?.[1] ?? name?.[2];
      if (fn) {
        current = result.get(fn) ?? { ...DEFAULTS };
        result.set(fn, current);
      } else {
        current = undefined;
      }
      continue;
    }
    if (!current) continue;
    const flag = line.match(/^([A-Za-z0-9_]+)\s*=\s*(true|false)$/);
    if (flag?.[1] === "verify_jwt") current.verifyJwt = flag[2] === "true";
    if (flag?.[1] === "enabled") current.enabled = flag[2] === "true";
    const text = line.match(/^([A-Za-z0-9_]+)\s*=\s*"([^"]*)"$/);
    if (text?.[1] === "entrypoint") current.entrypoint = text[2];
    if (text?.[1] === "import_map") current.importMap = text[2];
  }
  return result;
}

/** Reads `config.toml` again only when its modification time changes. */
export class SettingsFile {
  private mtimeMs = -1;
  private settings = new Map<string, FunctionSettings>();

  constructor(private readonly file: string) {}

  /** Settings of function `name` (defaults when it has no table). */
  get(name: string): FunctionSettings {
    this.refresh();
    return this.settings.get(name) ?? DEFAULTS;
  }

  private refresh(): void {
    const mtimeMs = existsSync(this.file) ? statSync(this.file).mtimeMs : 0;
    if (mtimeMs === this.mtimeMs) return;
    this.mtimeMs = mtimeMs;
    this.settings = mtimeMs === 0 ? new Map() : parseFunctionSettings(readFileSync(this.file, "utf8"));
  }
}

/**
 * Secrets for every function from `supabase/functions/.env` (what `supabase secrets set
 * --env-file` uploads on hosted). A missing file gives no secrets.
 */
export function readSecrets(supabaseDir: string): Record<string, string> {
  const file = path.join(supabaseDir, "functions", ".env");
  if (!existsSync(file)) return {};
  const parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string | undefined>;
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== undefined) secrets[key] = value;
  return secrets;
}
