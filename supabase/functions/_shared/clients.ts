import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { bearerToken } from "./http.ts";

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

/**
 * A supabase-js client acting as the caller: the anon key plus the caller's `Authorization`
 * header, so every query runs under RLS as that user. Throws 401 without a bearer token.
 */
export function userClient(req: Request, e: Env, fetchImpl: typeof fetch = fetch): SupabaseClient {
  const token = bearerToken(req);
  if (!token) throw new HttpError(401, "missing Authorization: Bearer <access token>");
  return createClient(e.SUPABASE_URL, e.SUPABASE_ANON_KEY, {
    auth: noSession,
    global: { headers: { Authorization: `Bearer ${token}` }, fetch: fetchImpl },
  });
}

/**
 * The signed-in user behind a user client. Throws 401 when the token is not a live user session
 * (anon key, expired or signed-out token).
 */
export async function requireUser(client: SupabaseClient, req: Request): Promise<{ id: string }> {
  const token = bearerToken(req);
  if (!token) throw new HttpError(401, "missing Authorization: Bearer <access token>");
  const { data, error } = await client.auth.getUser(token);
  if (error || !data.user) {
    throw new HttpError(401, "sign in first: the access token is not a valid user session", {
      details: error ? { reason: error.code ?? error.message } : undefined,
    });
  }
  return { id: data.user.id };
}

/** A service-role client (bypasses RLS). Used by the import worker only. */
export function serviceClient(e: Env, fetchImpl: typeof fetch = fetch): SupabaseClient {
  return createClient(e.SUPABASE_URL, e.SUPABASE_SERVICE_ROLE_KEY, {
    auth: noSession,
    global: { fetch: fetchImpl },
  });
}
