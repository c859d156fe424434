import { createClient, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { DEMO_ANON_KEY } from "../../supabase/local/src/keys.ts";

/** Where the CLI connects: `SUPABASE_URL` / `SUPABASE_ANON_KEY`, the local stack by default. */
export function projectFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string; anonKey: string } {
  return { url: env.SUPABASE_URL ?? "http://127.0.0.1:54321", anonKey: env.SUPABASE_ANON_KEY ?? DEMO_ANON_KEY };
}

/** Credentials from `--email/--password` or `ENGRAM_EMAIL` / `ENGRAM_PASSWORD`. */
export interface Credentials {
  email?: string;
  password?: string;
  signup?: boolean;
}

/** A signed-in user client, as the web app has one. Throws with a person-readable message. */
export async function signIn(creds: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<{ client: SupabaseClient; userId: string }> {
  const email = creds.email ?? env.ENGRAM_EMAIL;
  const password = creds.password ?? env.ENGRAM_PASSWORD;
  if (!email || !password) throw new Error("sign-in needs --email and --password (or ENGRAM_EMAIL / ENGRAM_PASSWORD)");
  const { url, anonKey } = projectFromEnv(env);
  // Node 20 has no global WebSocket; supabase-js needs one for its realtime client even unused.
  const client = createClient(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  const attempt = creds.signup ? await client.auth.signUp({ email, password }) : await client.auth.signInWithPassword({ email, password });
  if (attempt.error) throw new Error(`${creds.signup ? "sign-up" : "sign-in"} failed at ${url}: ${attempt.error.message}`);
  const user = attempt.data.user;
  if (!user || !attempt.data.session) throw new Error(`${creds.signup ? "sign-up" : "sign-in"} returned no session (is email confirmation on?)`);
  return { client, userId: user.id };
}

/** Calls a function and returns status + JSON body, failures included. */
export async function callFunction(client: SupabaseClient, name: string, body?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const { data, error, response } = await client.functions.invoke(name, body === undefined ? {} : { body });
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  }
  if (error) throw error;
  return { status: response?.status ?? 200, body: data };
}

/** The caller's import status (RPC get_import_status). */
export async function fetchStatus(client: SupabaseClient): Promise<Record<string, any>> {
  const { data, error } = await client.rpc("get_import_status");
  if (error) throw new Error(`get_import_status failed: ${error.message}`);
  return data as Record<string, any>;
}

/** One line describing the status. */
export function describeStatus(s: Record<string, any>): string {
  const parts = [`import ${s.import_status}`, `deep memory ${s.full_pass_status}`];
  if (s.full_pass_status === "processing") parts.push(`${s.progress_percent}% (${s.done_items}/${s.total_items} shards)`);
  parts.push(`${s.conversation_count} conversations, ${s.chunk_count} chunks, ${s.fact_count} facts`);
  if (s.failed_items > 0) parts.push(`${s.failed_items} item(s) failed`);
  if (s.full_pass_error) parts.push(`error: ${s.full_pass_error}`);
  else if (s.import_error) parts.push(`error: ${s.import_error}`);
  if (s.full_pass_status === "failed") parts.push(s.can_retry ? "retry with: npm run engram -- retry" : `no retry: ${s.retry_blocked_reason}`);
  return parts.join(" · ");
}

/**
 * Follows the status until the full pass settles (complete or failed), printing changes; polls
 * once a second (a CLI has no tab to keep a Realtime socket for). Resolves to the final status.
 */
export async function follow(client: SupabaseClient, opts: { timeoutMs?: number; print?: (line: string) => void } = {}): Promise<Record<string, any>> {
  const print = opts.print ?? ((l) => console.log(l));
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let last = "";
  for (;;) {
    const s = await fetchStatus(client);
    const line = describeStatus(s);
    if (line !== last) print(line);
    last = line;
    const settled = s.full_pass_status === "complete" || s.full_pass_status === "failed" || s.import_status === "failed";
    if (settled) return s;
    if (Date.now() > deadline) throw new Error("gave up waiting; check again with: npm run engram -- status");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Shared flags of the commands that sign in. */
export const AUTH_OPTIONS = {
  email: { type: "string" },
  password: { type: "string" },
  signup: { type: "boolean" },
} as const;
