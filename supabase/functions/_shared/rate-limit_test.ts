import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { HttpError } from "./errors.ts";
import { enforceRateLimit } from "./rate-limit.ts";
import { FakeApi, FAKE_URL } from "./testing/fake-http.ts";
import { FAKE_ANON_KEY } from "./testing/env.ts";

function clientWith(answer: unknown) {
  const fake = new FakeApi().on("POST /rest/v1/rpc/check_rate_limit", () => answer);
  return { fake, client: createClient(FAKE_URL, FAKE_ANON_KEY, { global: { fetch: fake.fetch }, auth: { persistSession: false } }) };
}

Deno.test("enforceRateLimit() consumes one unit of the action and passes while allowed", async () => {
  const { fake, client } = clientWith({ allowed: true, retry_after_seconds: null, remaining: 3 });
  const r = await enforceRateLimit(client, "chat");
  assert.equal(r.remaining, 3);
  assert.deepEqual(JSON.parse(fake.callsTo("POST /rest/v1/rpc/check_rate_limit")[0]!.body), { p_action: "chat" });
});

Deno.test("enforceRateLimit() throws 429 with Retry-After when the limit is reached", async () => {
  const { client } = clientWith({ allowed: false, retry_after_seconds: 41.5, remaining: 0 });
  await assert.rejects(() => enforceRateLimit(client, "retry"), (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterSeconds, 42);
    return true;
  });
});
