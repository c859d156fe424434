import { type Env, parseEnv } from "../env.ts";
import { FAKE_URL, fakeJwt } from "./fake-http.ts";

/** The service-role key of the fake environment. */
export const FAKE_SERVICE_KEY = fakeJwt({ role: "service_role", iss: "supabase-demo" });
/** The anon key of the fake environment. */
export const FAKE_ANON_KEY = fakeJwt({ role: "anon", iss: "supabase-demo" });

/** A valid environment pointing at the fake API. */
export function fakeEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    SUPABASE_URL: FAKE_URL,
    SUPABASE_ANON_KEY: FAKE_ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: FAKE_SERVICE_KEY,
    ...overrides,
  });
}
