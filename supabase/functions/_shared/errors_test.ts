import assert from "node:assert/strict";
import { errorResponse, fromPostgrestError, HttpError } from "./errors.ts";

Deno.test("fromPostgrestError() maps PTxyz to status xyz with the reason in details", () => {
  const e = fromPostgrestError({ code: "PT409", message: "nothing to retry", details: "not_failed", hint: null });
  assert.equal(e.status, 409);
  assert.equal(e.code, "conflict");
  assert.deepEqual(e.details, { reason: "not_failed" });
});

Deno.test("fromPostgrestError() reads retry_after_seconds from the hint of a PT429", () => {
  const e = fromPostgrestError({
    code: "PT429",
    message: "slow down",
    details: "rate_limited",
    hint: '{"retry_after_seconds": 42.2}',
  });
  assert.equal(e.status, 429);
  assert.equal(e.retryAfterSeconds, 43);
});

Deno.test("fromPostgrestError() hides unknown database errors behind a 500", () => {
  const e = fromPostgrestError({ code: "XX000", message: "secret internals", details: null, hint: null });
  assert.equal(e.status, 500);
  assert.equal(e.message, "internal error");
});

Deno.test("errorResponse() answers the one JSON shape with Retry-After for 429", async () => {
  const res = errorResponse(new HttpError(429, "too many", { retryAfterSeconds: 7, details: { reason: "rate_limited" } }));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("Retry-After"), "7");
  assert.deepEqual(await res.json(), { error: { code: "rate_limited", message: "too many", details: { reason: "rate_limited" } } });
});

Deno.test("errorResponse() turns a thrown TypeError into a bare 500 without internals", async () => {
  const logged: string[] = [];
  const res = errorResponse(new TypeError("db password is hunter2"), {}, (m) => logged.push(m));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes("hunter2"), text);
  assert.deepEqual(JSON.parse(text), { error: { code: "internal", message: "internal error" } });
  assert.equal(logged.length, 1);
});
