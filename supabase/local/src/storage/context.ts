import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import type { StackConfig } from "../config.ts";
import { callerOf, requestClaims, type Caller, type StorageOperation } from "./auth.ts";
import type { RequestClaims } from "../db.ts";
import type { BlobLayout } from "./paths.ts";

/** What every Storage route handler gets. */
export interface StorageCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path after `/storage/v1`, percent-encoded as received. */
  path: string;
  cfg: StackConfig;
  pool: pg.Pool;
  layout: BlobLayout;
}

/** Verifies the caller's JWT and builds the request settings for one storage operation. */
export async function authorize(
  call: StorageCall,
  operation: StorageOperation,
): Promise<{ caller: Caller; claims: RequestClaims }> {
  const caller = await callerOf(call.req, call.cfg.jwtSecret);
  return { caller, claims: requestClaims(caller, call.req, operation, call.path) };
}
