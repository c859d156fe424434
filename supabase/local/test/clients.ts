import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import WebSocket from "ws";
import type { StackInfo } from "./stack-info.ts";
import "./stack-info.ts";

/** The running test stack (started once per run by global-setup.ts). */
export function stackInfo(): StackInfo {
  return inject("stack");
}

/**
 * An official supabase-js client against the test stack. Node 20 has no global WebSocket, so
 * realtime gets `ws`; sessions live in memory only.
 */
export function client(key: string = stackInfo().anonKey): SupabaseClient {
  return createClient(stackInfo().url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}

/** A client with the service_role key (bypasses RLS). */
export function serviceClient(): SupabaseClient {
  return client(stackInfo().serviceRoleKey);
}

/** A signed-up, signed-in user with its own client. */
export interface TestUser {
  id: string;
  email: string;
  password: string;
  client: SupabaseClient;
  accessToken: string;
}

/** Signs up a fresh user (unique email) and returns it signed in. */
export async function newUser(prefix = "user"): Promise<TestUser> {
  const email = `${prefix}-${randomUUID()}@example.test`;
  const password = "correct-horse-battery-staple";
  const c = client();
  const { data, error } = await c.auth.signUp({ email, password });
  if (error) throw error;
  if (!data.session || !data.user) throw new Error("sign-up returned no session (autoconfirm off?)");
  return { id: data.user.id, email, password, client: c, accessToken: data.session.access_token };
}

/** A direct superuser connection to the test database, for setup and inspection only. */
export async function sql(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: stackInfo().dbUrl });
  await c.connect();
  return c;
}
