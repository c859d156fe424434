import assert from "node:assert/strict";
import { withErrors } from "../_shared/http.ts";
import { FakeApi, FAKE_URL, fakeJwt, ptError } from "../_shared/testing/fake-http.ts";
import { fakeEnv } from "../_shared/testing/env.ts";
import { handleRetryFullPass } from "./handler.ts";

const uid = "6c1f5a7e-0000-4000-8000-000000000001";
const token = fakeJwt({ sub: uid, role: "authenticated" });

function api(): FakeApi {
  return new FakeApi()
    .on("GET /auth/v1/user", () => ({ id: uid, aud: "authenticated" }))
    .on("POST /rest/v1/rpc/claim_full_pass_retry", () => ({ run_id: "r-2", import_id: "i-1", storage_path: `${uid}/x/`, file_type: "shards", attempt: 2, requeued_tasks: 3 }))
    .on("POST /rest/v1/rpc/get_import_status", () => ({ full_pass_status: "complete", can_retry: false }));
}

async function call(fake: FakeApi, body?: string) {
  const kicks: unknown[] = [];
  const handler = withErrors((req) => handleRetryFullPass(req, { env: fakeEnv(), fetch: fake.fetch, kick: (b) => kicks.push(b) }));
  const res = await handler(new Request(`${FAKE_URL}/functions/v1/retry-full-pass`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body,
  }));
  return { res, json: await res.json(), kicks };
}

Deno.test("handleRetryFullPass() claims atomically, sends no path, and kicks the worker", async () => {
  const fake = api();
  const { res, json, kicks } = await call(fake, "{}");
  assert.equal(res.status, 202);
  assert.deepEqual(json, { runId: "r-2", importId: "i-1", attempt: 2, requeuedTasks: 3 });
  assert.equal(fake.callsTo("POST /rest/v1/rpc/claim_full_pass_retry")[0]!.body, "{}");
  assert.equal(kicks.length, 1);
});

Deno.test("handleRetryFullPass() answers 409 with the current status when there is nothing to retry", async () => {
  const fake = api().on("POST /rest/v1/rpc/claim_full_pass_retry", () => ptError(409, "already_complete", "the full pass is complete"));
  const { res, json, kicks } = await call(fake);
  assert.equal(res.status, 409);
  assert.equal(json.error.details.reason, "already_complete");
  assert.equal(json.error.details.status.full_pass_status, "complete");
  assert.equal(kicks.length, 0);
});

Deno.test("handleRetryFullPass() maps no_export to 404, permanent_failure to 422 and limits to 429", async () => {
  for (const [status, reason] of [[404, "no_export"], [422, "permanent_failure"], [429, "rate_limited"]] as const) {
    const fake = api().on("POST /rest/v1/rpc/claim_full_pass_retry", () => ptError(status, reason, reason, status === 429 ? { retry_after_seconds: 30 } : null));
    const { res, json } = await call(fake);
    assert.equal(res.status, status);
    assert.equal(json.error.details.reason, reason);
    if (status === 429) assert.equal(res.headers.get("retry-after"), "30");
  }
});

Deno.test("handleRetryFullPass() refuses a body that tries to choose the path", async () => {
  const { res, json } = await call(api(), JSON.stringify({ storagePath: "x/y" }));
  assert.equal(res.status, 400);
  assert.match(json.error.message, /storagePath/);
});
