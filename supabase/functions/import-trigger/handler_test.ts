import assert from "node:assert/strict";
import { withErrors } from "../_shared/http.ts";
import { FakeApi, FAKE_URL, fakeJwt, ptError } from "../_shared/testing/fake-http.ts";
import { fakeEnv } from "../_shared/testing/env.ts";
import { handleImportTrigger } from "./handler.ts";

const uid = "6c1f5a7e-0000-4000-8000-000000000001";
const token = fakeJwt({ sub: uid, role: "authenticated" });

function api(): FakeApi {
  return new FakeApi()
    .on("GET /auth/v1/user", () => ({ id: uid, aud: "authenticated", role: "authenticated" }))
    .on("POST /storage/v1/object/list/imports", (r) => {
      const { prefix } = JSON.parse(r.body);
      return prefix === `${uid}/a` ? [{ name: "conversations.json", id: "obj-1" }] : [];
    })
    .on("POST /rest/v1/rpc/begin_import", () => ({ import_id: "i-1", run_id: "r-1", created: true }));
}

function call(fake: FakeApi, body: unknown, headers: Record<string, string> = {}) {
  const kicks: unknown[] = [];
  const handler = withErrors((req) => handleImportTrigger(req, { env: fakeEnv(), fetch: fake.fetch, kick: (b) => kicks.push(b) }));
  const req = new Request(`${FAKE_URL}/functions/v1/import-trigger`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return handler(req).then(async (res) => ({ res, json: await res.json(), kicks }));
}

Deno.test("handleImportTrigger() records the import through begin_import and kicks the worker", async () => {
  const fake = api();
  const { res, json, kicks } = await call(fake, { storagePath: `${uid}/a/conversations.json`, fileType: "json" });
  assert.equal(res.status, 202);
  assert.deepEqual(json, { importId: "i-1", runId: "r-1", created: true });
  assert.equal(kicks.length, 1);
  const begin = fake.callsTo("POST /rest/v1/rpc/begin_import")[0]!;
  assert.deepEqual(JSON.parse(begin.body), { p_storage_path: `${uid}/a/conversations.json`, p_file_type: "json", p_import_id: null });
  assert.equal(begin.headers.get("authorization"), `Bearer ${token}`, "the RPC runs as the caller");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("handleImportTrigger() answers 403 for a foreign path and writes nothing", async () => {
  const fake = api();
  const { res, json } = await call(fake, { storagePath: "0000aaaa-0000-4000-8000-000000000009/x.json", fileType: "json" });
  assert.equal(res.status, 403);
  assert.equal(json.error.code, "forbidden");
  assert.equal(fake.callsTo("POST /rest/v1/rpc/begin_import").length, 0);
});

Deno.test("handleImportTrigger() answers 404 when the export is not in Storage", async () => {
  const fake = api();
  const { res, json } = await call(fake, { storagePath: `${uid}/b/conversations.json`, fileType: "json" });
  assert.equal(res.status, 404);
  assert.equal(json.error.details.reason, "no_export");
  assert.equal(fake.callsTo("POST /rest/v1/rpc/begin_import").length, 0);
});

Deno.test("handleImportTrigger() answers 429 with Retry-After when the limit is reached", async () => {
  const fake = api().on("POST /rest/v1/rpc/begin_import", () => ptError(429, "rate_limited", "Too many imports", { retry_after_seconds: 120 }));
  const { res } = await call(fake, { storagePath: `${uid}/a/conversations.json`, fileType: "json" });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "120");
});

Deno.test("handleImportTrigger() maps begin_import's PT409 to 409", async () => {
  const fake = api().on("POST /rest/v1/rpc/begin_import", () => ptError(409, "import_in_progress", "an import is running"));
  const { res, json } = await call(fake, { storagePath: `${uid}/a/conversations.json`, fileType: "json" });
  assert.equal(res.status, 409);
  assert.equal(json.error.details.reason, "import_in_progress");
});

Deno.test("handleImportTrigger() answers 400 naming the problem for malformed bodies", async () => {
  const cases: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    [[], /JSON object/],
    [{ fileType: "json" }, /storagePath/],
    [{ storagePath: 7, fileType: "json" }, /storagePath/],
    [{ storagePath: `${uid}/a/conversations.json` }, /fileType/],
    [{ storagePath: `${uid}/a/conversations.json`, fileType: "pdf" }, /fileType/],
    [{ storagePath: `${uid}/a/conversations.json`, fileType: "json", extra: 1 }, /extra/],
    [{ storagePath: `${uid}/../x.json`, fileType: "json" }, /\.\./],
    [{ storagePath: `${uid}/a/x.json`, fileType: "json", importId: "nope" }, /importId/],
  ];
  for (const [body, pattern] of cases) {
    const { res, json } = await call(api(), body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(json.error.message, pattern, JSON.stringify(body));
  }
});

Deno.test("handleImportTrigger() answers 401 without a user session", async () => {
  const fake = api().on("GET /auth/v1/user", () => ({ status: 403, json: { code: "bad_jwt", message: "invalid JWT" } }));
  const { res } = await call(fake, { storagePath: `${uid}/a/conversations.json`, fileType: "json" });
  assert.equal(res.status, 401);
});
