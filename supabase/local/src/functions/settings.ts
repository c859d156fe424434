import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { readTomlScalars, type TomlScalars } from "../toml.ts";

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
 * The `[functions.<name>]` tables of a Supabase `config.toml` (`verify_jwt`, `enabled`,
 * `entrypoint`, `import_map`); every other key is ignored, so the file stays the one the real
 * CLI reads.
 */
export function functionSettings(toml: TomlScalars): Map<string, FunctionSettings> {
  const result = new Map<string, FunctionSettings>();
  for (const [section, values] of Object.entries(toml)) {
    const name = section.match(/^functions\.([^.]+)$/)?.[1];
    if (!name) continue;
    const settings: FunctionSettings = { ...DEFAULTS };
    if (typeof values["verify_jwt"] === "boolean") settings.verifyJwt = values["verify_jwt"];
    if (typeof values["enabled"] === "boolean") settings.enabled = values["enabled"];
    if (typeof values["entrypoint"] === "string") settings.entrypoint = values["entrypoint"];
    if (typeof values["import_map"] === "string") settings.importMap = values["import_map"];
    result.set(name, settings);
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
    this.settings = functionSettings(readTomlScalars(this.file));
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
