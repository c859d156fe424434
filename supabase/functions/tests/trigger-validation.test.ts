import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newUser, sql, stackInfo, type TestUser } from "../../local/test/clients.ts";
import { importStatus, invoke } from "./helpers.ts";

async function runsOf(userId: string): Promise<number> {
  const db = await sql();
  try {
    const r = await db.query("select count(*)::int as n from engram_private.import_runs where user_id = $1", [userId]);
    return r.rows[0].n;
  } finally {
    await db.end();
  }
}

/** POSTs a raw body to a function with the user's token (supabase-js would JSON-encode it). */
async function rawPost(user: TestUser, name: string, body: string, contentType = "application/json") {
  const res = await fetch(`${stackInfo().url}/functions/v1/${name}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${user.accessToken}`, apikey: stackInfo().anonKey, "Content-Type": contentType },
    body,
  });
  return { status: res.status, body: await res.json() };
}

describe("import-trigger input checks", () => {
  it("import-trigger answers 400 naming the problem for each kind of malformed body, and writes nothing", async () => {
    const user = await newUser("malformed");
    const ok = `${user.id}/u/conversations.json`;
    const cases: [string, unknown, RegExp][] = [
      ["no body", undefined, /JSON object/],
      ["an array", [], /JSON object/],
      ["a string", "conversations.json", /not valid JSON/],
      ["null", null, /JSON object/],
      ["storagePath missing", { fileType: "json" }, /storagePath/],
      ["storagePath a number", { storagePath: 42, fileType: "json" }, /storagePath/],
      ["storagePath empty", { storagePath: "", fileType: "json" }, /must not be empty/],
      ["storagePath too long", { storagePath: `${user.id}/${"a".repeat(1100)}.json`, fileType: "json" }, /at most 1024/],
      ["leading slash", { storagePath: `/${ok}`, fileType: "json" }, /leading \//],
      ["dot-dot segment", { storagePath: `${user.id}/../x/conversations.json`, fileType: "json" }, /\.\./],
      ["empty segment", { storagePath: `${user.id}//conversations.json`, fileType: "json" }, /\/\//],
      ["backslash", { storagePath: `${user.id}\\conversations.json`, fileType: "json" }, /backslash/],
      ["percent-encoding", { storagePath: `${user.id}/%2e%2e/conversations.json`, fileType: "json" }, /percent/],
      ["control character", { storagePath: `${user.id}/a\u0000b.json`, fileType: "json" }, /control/],
      ["fileType missing", { storagePath: ok }, /fileType/],
      ["fileType unknown", { storagePath: ok, fileType: "pdf" }, /fileType/],
      ["unknown field", { storagePath: ok, fileType: "json", userId: user.id }, /userId/],
      ["importId not a UUID", { storagePath: ok, fileType: "json", importId: "123" }, /importId/],
      ["extension does not fit the type", { storagePath: `${user.id}/u/export.zip`, fileType: "json" }, /\.json/],
      ["shards path without an import folder", { storagePath: `${user.id}/`, fileType: "shards" }, /import folder/],
    ];
    for (const [what, body, pattern] of cases) {
      const r = await invoke(user.client, "import-trigger", body);
      expect(r.status, what).toBe(400);
      expect(r.body.error.code, what).toBe("validation_failed");
      expect(r.body.error.message, what).toMatch(pattern);
    }
    const notJson = await rawPost(user, "import-trigger", "{storagePath:");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);
    const wrongType = await rawPost(user, "import-trigger", "storagePath=x", "application/x-www-form-urlencoded");
    expect(wrongType.status).toBe(415);

    expect(await runsOf(user.id)).toBe(0);
    expect((await importStatus(user)).import_status).toBe("none");
  });

  it("import-trigger answers 403 for another user's folder and writes nothing", async () => {
    const owner = await newUser("owner");
    const path = `${owner.id}/x/conversations.json`;
    expect((await owner.client.storage.from("imports").upload(path, "[]", { contentType: "application/json" })).error).toBeNull();
    const thief = await newUser("thief");
    for (const storagePath of [path, `${owner.id}/${randomUUID()}/`]) {
      const r = await invoke(thief.client, "import-trigger", { storagePath, fileType: storagePath.endsWith("/") ? "shards" : "json" });
      expect(r.status).toBe(403);
      expect(r.body.error.details.reason).toBe("forbidden_path");
    }
    expect(await runsOf(thief.id)).toBe(0);
    expect((await importStatus(thief)).storage_path).toBeNull();
  });

  it("import-trigger answers 404 when the export was never uploaded", async () => {
    const user = await newUser("missing");
    const r = await invoke(user.client, "import-trigger", { storagePath: `${user.id}/none/conversations.json`, fileType: "json" });
    expect(r.status).toBe(404);
    expect(r.body.error.details.reason).toBe("no_export");
    expect(await runsOf(user.id)).toBe(0);
  });

  it("import-trigger answers 401 without a user session", async () => {
    const res = await fetch(`${stackInfo().url}/functions/v1/import-trigger`, {
      method: "POST",
      headers: { Authorization: `Bearer ${stackInfo().anonKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ storagePath: "a/b.json", fileType: "json" }),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("unauthorized");
  });
});

describe("retry-full-pass refusals", () => {
  it("retry-full-pass answers 404 when there is no stored export", async () => {
    const user = await newUser("noexport");
    const r = await invoke(user.client, "retry-full-pass", {});
    expect(r.status).toBe(404);
    expect(r.body.error.details.reason).toBe("no_export");
  });

  it("retry-full-pass answers 400 when the body tries to name the export", async () => {
    const user = await newUser("retrybody");
    const r = await invoke(user.client, "retry-full-pass", { storagePath: `${user.id}/x.json` });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/storagePath/);
  });
});
