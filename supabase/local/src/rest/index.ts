import { dbUrl } from "../config.ts";
import type { Surface, SurfaceContext } from "../surface.ts";
import { handleRest } from "./handler.ts";
import { SchemaCache } from "./schema-cache.ts";

/**
 * `/rest/v1` — a PostgREST stand-in: tables, views and RPC of the exposed schemas
 * (`cfg.restSchemas`, default `public` only), each request in one transaction as the JWT's role
 * so RLS decides (supabase-contracts.md §2).
 */
export function createRestSurface(ctx: SurfaceContext): Surface {
  const cache = new SchemaCache(ctx.pool, ctx.cfg.restSchemas, ctx.log);
  return {
    prefix: "/rest/v1",
    async start() {
      await cache.start(dbUrl(ctx.cfg));
    },
    async stop() {
      await cache.stop();
    },
    async handle(request) {
      await handleRest({ pool: ctx.pool, cache, jwtSecret: ctx.cfg.jwtSecret }, request);
    },
  };
}
