import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  DEMO_ANON_KEY,
  DEMO_JWT_SECRET,
  DEMO_PUBLISHABLE_KEY,
  DEMO_SECRET_KEY,
  DEMO_SERVICE_ROLE_KEY,
} from "./keys.ts";

/** Everything a running stack needs to know; one object passed to every surface. */
export interface StackConfig {
  /** Gateway port (`/auth/v1`, `/rest/v1`, …). CLI default 54321. */
  apiPort: number;
  /** Postgres port. CLI default 54322. */
  dbPort: number;
  /** Host every listener binds to. */
  host: string;
  /** The project's `supabase/` folder: config.toml, migrations/, functions/. */
  supabaseDir: string;
  /**
   * Folders whose `<name>/index.ts` are served at `/functions/v1/<name>`; the first holding a
   * name wins. Default: the project's `supabase/functions`. Tests add a fixtures folder.
   */
  functionsDirs: string[];
  /**
   * Schemas `/rest/v1` exposes; the first is the default profile. Default `["public"]`; the test
   * stack adds a fixtures schema so conformance fixtures stay out of `public`.
   */
  restSchemas: string[];
  /** Ignored folder holding the database cluster, storage bytes and logs. */
  stateDir: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  /** Access-token lifetime in seconds (config.toml `auth.jwt_expiry`, CLI default 3600). */
  jwtExpiry: number;
  /** When true a function request over 2 s of CPU fails with 546 WORKER_LIMIT, as hosted does. */
  strictCpu: boolean;
  /** When false, request log lines are not printed. */
  logRequests: boolean;
}

/** The repository's `supabase/` folder, found from this file's location. */
export const SUPABASE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Builds a config from the CLI's defaults, then `overrides`. */
export function defaultConfig(overrides: Partial<StackConfig> = {}): StackConfig {
  const supabaseDir = overrides.supabaseDir ?? SUPABASE_DIR;
  return {
    apiPort: 54321,
    dbPort: 54322,
    host: "127.0.0.1",
    supabaseDir,
    stateDir: path.resolve(supabaseDir, "..", ".state", "local"),
    functionsDirs: [path.join(supabaseDir, "functions")],
    restSchemas: ["public"],
    jwtSecret: DEMO_JWT_SECRET,
    anonKey: DEMO_ANON_KEY,
    serviceRoleKey: DEMO_SERVICE_ROLE_KEY,
    publishableKey: DEMO_PUBLISHABLE_KEY,
    secretKey: DEMO_SECRET_KEY,
    jwtExpiry: 3600,
    strictCpu: false,
    logRequests: true,
    ...overrides,
  };
}

/** `http://host:apiPort`, the URL clients are given. */
export function apiUrl(cfg: StackConfig): string {
  return `http://${cfg.host}:${cfg.apiPort}`;
}

/** Superuser connection string, the one `supabase status` prints as DB URL. */
export function dbUrl(cfg: StackConfig): string {
  return `postgresql://postgres:postgres@${cfg.host}:${cfg.dbPort}/postgres`;
}
