import assert from "node:assert/strict";
import { EnvError, faultsEnabled, parseEnv } from "./env.ts";
import { fakeEnv } from "./testing/env.ts";

Deno.test("parseEnv() lists every missing variable at once", () => {
  assert.throws(() => parseEnv({ SUPABASE_URL: "not a url" }), (e: unknown) => {
    assert.ok(e instanceof EnvError);
    assert.match(e.message, /SUPABASE_URL/);
    assert.match(e.message, /SUPABASE_ANON_KEY/);
    assert.match(e.message, /SUPABASE_SERVICE_ROLE_KEY/);
    return true;
  });
});

Deno.test("parseEnv() fills the worker defaults and coerces numbers", () => {
  const e = fakeEnv({ WORKER_LEASE_SECONDS: "12" });
  assert.equal(e.WORKER_LEASE_SECONDS, 12);
  assert.equal(e.WORKER_CPU_BUDGET_MS, 900);
});

Deno.test("faultsEnabled() is on for a loopback URL, off for a hosted one, and the flag wins", () => {
  assert.equal(faultsEnabled(fakeEnv()), true);
  assert.equal(faultsEnabled(fakeEnv({ SUPABASE_URL: "https://abcd.supabase.co" })), false);
  assert.equal(faultsEnabled(fakeEnv({ ENGRAM_FAULTS: "0" })), false);
  assert.equal(faultsEnabled(fakeEnv({ SUPABASE_URL: "https://abcd.supabase.co", ENGRAM_FAULTS: "1" })), true);
});
