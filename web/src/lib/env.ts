import { z } from "zod";

/**
 * The web app's configuration, parsed once. `npm start` sets both variables to the local stack;
 * for a hosted project set them at build time (`VITE_SUPABASE_URL`, `VITE_SUPABASE_ANON_KEY` = the
 * publishable key). Never the service role key: this bundle is public.
 */
const EnvSchema = z.object({
  VITE_SUPABASE_URL: z.url({ message: "VITE_SUPABASE_URL must be the project's API URL" }),
  VITE_SUPABASE_ANON_KEY: z
    .string()
    .min(20, "VITE_SUPABASE_ANON_KEY must be the anon (publishable) key")
    .refine((key) => !key.startsWith("sb_secret_") && !isServiceRoleJwt(key), {
      message: "VITE_SUPABASE_ANON_KEY is a service-role/secret key; the browser must get the anon key",
    }),
});

/** Parsed environment of the web app. */
export type WebEnv = z.infer<typeof EnvSchema>;

function isServiceRoleJwt(key: string): boolean {
  const payload = key.split(".")[1];
  if (!payload) return false;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { role?: string };
    return json.role === "service_role";
  } catch {
    return false;
  }
}

/** Parses `source` (import.meta.env by default); throws a readable error naming each bad variable. */
export function parseEnv(source: Record<string, unknown>): WebEnv {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new TypeError(`Invalid web app configuration — ${problems}`);
  }
  return result.data;
}
