import type { IncomingMessage } from "node:http";
import type pg from "pg";
import type { AuthSettings } from "./settings.ts";

/** What every auth handler gets: the superuser pool (GoTrue is privileged), settings, secret. */
export interface AuthContext {
  pool: pg.Pool;
  settings: AuthSettings;
  /** HS256 secret that signs and verifies project JWTs. */
  secret: string;
  log: (line: string) => void;
}

/** One routed auth request. */
export interface AuthRequest {
  req: IncomingMessage;
  url: URL;
  /** Path parameters from the route pattern (e.g. `id` of `/admin/users/<id>`). */
  params: Record<string, string>;
}

/** A handler's answer; `body` undefined means no body (204). */
export interface AuthReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An auth route handler. */
export type AuthHandler = (ctx: AuthContext, request: AuthRequest) => Promise<AuthReply>;
