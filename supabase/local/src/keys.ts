/**
 * The Supabase CLI's well-known local defaults. They are public (printed by `supabase start` on
 * every machine) and only ever valid against a local stack, so every Supabase local-dev guide
 * applies to ours unchanged.
 */

/** HS256 secret the CLI uses for local JWTs. */
export const DEMO_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** Legacy anon key: `{iss:"supabase-demo", role:"anon", exp:1983812996}`. */
export const DEMO_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

/** Legacy service_role key: `{iss:"supabase-demo", role:"service_role", exp:1983812996}`. */
export const DEMO_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

/** Opaque publishable key; the gateway turns it into the anon JWT. */
export const DEMO_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";

/** Opaque secret key; the gateway turns it into the service_role JWT. */
export const DEMO_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";
