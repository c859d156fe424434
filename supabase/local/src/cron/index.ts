import type { Service, SurfaceContext } from "../surface.ts";

/** Runs pg_cron jobs and pg_net requests — not implemented yet. */
export function createScheduler(_ctx: SurfaceContext): Service {
  return {};
}
