import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type pg from "pg";
import type { StackConfig } from "./config.ts";

/** What every surface gets: the config, the shared superuser pool and a logger. */
export interface SurfaceContext {
  cfg: StackConfig;
  pool: pg.Pool;
  log: (line: string) => void;
}

/** One HTTP request routed to a surface. */
export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path after the surface prefix, always starting with `/`, still percent-encoded. */
  path: string;
  /** The full request URL (query included). */
  url: URL;
}

/** A background part of the stack (scheduler, replication reader…). */
export interface Service {
  /** Called once migrations have been applied. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** An API surface mounted under a prefix of the gateway, e.g. `/auth/v1`. */
export interface Surface extends Service {
  readonly prefix: string;
  handle(request: ApiRequest): Promise<void>;
  /** WebSocket upgrades under the prefix (Realtime). */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): void;
  /**
   * When true the gateway leaves CORS preflight and headers to the surface (Edge Functions
   * answer their own preflight on Supabase).
   */
  readonly ownsCors?: boolean;
}
