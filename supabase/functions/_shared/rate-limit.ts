import type { SupabaseClient } from "@supabase/supabase-js";
import { fromPostgrestError, HttpError } from "./errors.ts";

/** The answer of the `check_rate_limit` RPC. */
export interface RateLimitResult {
  allowed: boolean;
  retry_after_seconds: number | null;
  remaining: number | null;
}

/**
 * Consumes one unit of `action` for the caller (RPC `check_rate_limit`, limits defined in SQL)
 * and throws HttpError 429 with `Retry-After` when the caller is over the limit.
 */
export async function enforceRateLimit(client: SupabaseClient, action: string): Promise<RateLimitResult> {
  const { data, error } = await client.rpc("check_rate_limit", { p_action: action });
  if (error) throw fromPostgrestError(error, "check_rate_limit");
  const r = data as RateLimitResult;
  if (!r || r.allowed !== true) {
    const wait = Math.max(1, Math.ceil(Number(r?.retry_after_seconds ?? 60)));
    throw new HttpError(429, `too many ${action} requests; try again in ${wait} s`, {
      details: { reason: "rate_limited", action, retry_after_seconds: wait },
      retryAfterSeconds: wait,
    });
  }
  return r;
}
