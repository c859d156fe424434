import pg from "pg";
import { dbUrl } from "../config.ts";
import type { Service, SurfaceContext } from "../surface.ts";
import { CronRunner } from "./jobs.ts";
import { NetSender } from "./net.ts";

/** NOTIFY channel the `pg_net` queue trigger signals on commit (see extensions/pg_net--*.sql). */
export const NET_CHANNEL = "engram_pg_net";

/**
 * The stack's pg_cron / pg_net executor (see supabase/local/extensions/README.md): a tick at
 * every second boundary runs due `cron.job` rows; queued `net.http_*` requests are sent when the
 * queue's NOTIFY arrives (at commit), with a poll each tick as a fallback. Started after
 * migrations; harmless when neither extension is installed.
 */
export function createScheduler(ctx: SurfaceContext): Service {
  const { cfg, pool, log } = ctx;
  const cron = new CronRunner(cfg, pool, log);
  const net = new NetSender(pool, log);
  let timer: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let stopped = false;
  let ticks = 0;
  let current: Promise<void> | undefined;

  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString: dbUrl(cfg), application_name: "pg_net listener" });
    client.on("error", () => {});
    client.on("notification", () => void net.wake());
    client.on("end", () => {
      if (stopped) return;
      listener = undefined;
      // The server went away: try again on a later tick.
    });
    try {
      await client.connect();
      await client.query(`listen ${NET_CHANNEL}`);
    } catch (error) {
      // Retried every tick while it fails: never keep the half-set-up connection.
      await client.end().catch(() => {});
      throw error;
    }
    listener = client;
  }

  function schedule(): void {
    if (stopped) return;
    const now = Date.now();
    timer = setTimeout(() => {
      current = tick();
    }, 1000 - (now % 1000) + 5);
  }

  async function tick(): Promise<void> {
    const now = Date.now();
    ticks++;
    try {
      if (!listener) await listen().catch(() => {});
      await cron.tick(now);
      await net.wake();
      if (ticks % 60 === 0) await net.expire();
    } catch (error) {
      if (!stopped) log(`cron: tick failed: ${(error as Error).message}`);
    }
    schedule();
  }

  return {
    async start() {
      await listen();
      await net.wake();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      // A job that never ends must not hold the stack open.
      await Promise.race([cron.drain(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      await net.stop();
      await listener?.end().catch(() => {});
    },
  };
}
