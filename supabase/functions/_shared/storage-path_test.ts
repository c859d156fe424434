import assert from "node:assert/strict";
import { HttpError } from "./errors.ts";
import { checkOwnedPath, storagePathProblem } from "./storage-path.ts";

const uid = "6c1f5a7e-0000-4000-8000-000000000001";

Deno.test("storagePathProblem() refuses traversal and encoding tricks", () => {
  for (const p of ["../x", `${uid}/../other/x.json`, "/abs", `${uid}//x`, `${uid}\\x`, `${uid}/%2e%2e/x`, `${uid}/a\u0000b`, `${uid}/./x`]) {
    assert.notEqual(storagePathProblem(p), null, p);
  }
  assert.equal(storagePathProblem(`${uid}/2026/conversations.json`), null);
});

Deno.test("checkOwnedPath() answers 403 for another user's folder", () => {
  assert.throws(() => checkOwnedPath("someone-else/x.json", "json", uid), (e: unknown) => e instanceof HttpError && e.status === 403);
});

Deno.test("checkOwnedPath() adds the trailing slash to a shards folder and checks extensions", () => {
  assert.equal(checkOwnedPath(`${uid}/imp`, "shards", uid), `${uid}/imp/`);
  assert.throws(() => checkOwnedPath(`${uid}/x.zip`, "json", uid), (e: unknown) => e instanceof HttpError && e.status === 400);
  assert.throws(() => checkOwnedPath(`${uid}/`, "shards", uid), (e: unknown) => e instanceof HttpError && e.status === 400);
  assert.equal(checkOwnedPath(`${uid}/a/Export.ZIP`, "zip", uid), `${uid}/a/Export.ZIP`);
});
