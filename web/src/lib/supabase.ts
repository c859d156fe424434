import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { parseEnv } from "./env.ts";

const env = parseEnv(import.meta.env);

/** The project's API URL (resumable uploads talk to `${supabaseUrl}/storage/v1/upload/resumable`). */
export const supabaseUrl: string = env.VITE_SUPABASE_URL;

/** The app's one supabase-js client (anon key + the user's session, persisted in localStorage). */
export const supabase: SupabaseClient = createClient(env.VITE_SUPABASE_URL, env.VITE_SUPABASE_ANON_KEY, {
  auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
});
