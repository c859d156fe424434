import type http from "node:http";
import { createAuthSurface } from "./auth/index.ts";
import { apiUrl, dbUrl, type StackConfig } from "./config.ts";
import { createScheduler } from "./cron/index.ts";
import { createPool } from "./db.ts";
import { createFunctionsSurface } from "./functions/index.ts";
import { createGateway } from "./gateway.ts";
import { pushMigrations } from "./migrate.ts";
import { bootstrap, startPostgres } from "./postgres.ts";
import { createRealtimeSurface } from "./realtime/index.ts";
import { createRestSurface } from "./rest/index.ts";
import type { Service, Surface, SurfaceContext } from "./surface.ts";
import { createStorageSurface } from "./storage/index.ts";

/** A running local stack. */
export interface RunningStack {
  cfg: StackConfig;
  url: string;
  dbUrl: string;
  /** Milliseconds from call to ready, per phase and in total. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts Postgres, applies the platform bootstrap and the project's migrations (real Supabase
 * CLI), then the gateway with every surface and the background services.
 */
export async function startStack(
  cfg: StackConfig,
  log: (line: string) => void = (line) => console.log(line),
): Promise<RunningStack> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const mark = (name: string, since: number) => (timings[name] = Math.round(performance.now() - since));

  let t = performance.now();
  const postgres = await startPostgres(cfg);
  mark("postgres", t);
  const stoppers: (() => Promise<void>)[] = [() => postgres.stop()];
  // Once only, newest first: a second call (SIGINT then SIGTERM) waits for the first.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const stop of [...stoppers].reverse()) await stop().catch(() => {});
    })());
  try {
    t = performance.now();
    await bootstrap(cfg);
    mark("bootstrap", t);
    const pool = createPool(cfg);
    stoppers.push(() => pool.end());
    // Before migrations, so a migration may read them (as on hosted, where they are set first).
    await seedVault(pool, cfg);
    t = performance.now();
    await pushMigrations(cfg);
    mark("migrations", t);
    const ctx: SurfaceContext = { cfg, pool, log };
    const surfaces: Surface[] = [
      createAuthSurface(ctx),
      createRestSurface(ctx),
      createStorageSurface(ctx),
      createFunctionsSurface(ctx),
      createRealtimeSurface(ctx),
    ];
    const services: Service[] = [...surfaces, createScheduler(ctx)];
    t = performance.now();
    for (const service of services) {
      await service.start?.();
      if (service.stop) stoppers.push(() => service.stop!());
    }
    mark("services", t);

    const server = createGateway(cfg, surfaces, log);
    await listen(server, cfg);
    stoppers.push(() => close(server));
    mark("total", t0);
    return { cfg, url: apiUrl(cfg), dbUrl: dbUrl(cfg), timings, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Vault secrets that migrations use to reach this stack (the same names are set on a hosted
 * project at deploy time, see README): `project_url` and `service_role_key`.
 */
async function seedVault(pool: import("pg").Pool, cfg: StackConfig): Promise<void> {
  await pool.query(
    `insert into vault.secrets (name, secret, description)
     values ('project_url', $1, 'API URL of this project'),
            ('service_role_key', $2, 'service_role key used by scheduled jobs')
     on conflict (name) do update set secret = excluded.secret, updated_at = now()`,
    [apiUrl(cfg), cfg.serviceRoleKey],
  );
}

function listen(server: http.Server, cfg: StackConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.apiPort, cfg.host, () => resolve());
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // Stop listening and end every HTTP connection now. Upgraded websockets (Realtime) still
    // count as the server's connections until their surface's stop() ends them, which runs
    // after this: waiting for the server's close callback here would never return.
    server.close();
    server.closeAllConnections();
    setImmediate(resolve);
  });
}
