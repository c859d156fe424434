/**
 * Client-chosen storage paths: begin_import() and the storage.objects policies share one rule,
 * so an attack refused by one is refused by the other.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, failure, newLane, probe, rpc, testPool, user } from "./db.ts";

const db = testPool(6);
afterAll(() => db.end());

let A = "";
let B = "";
beforeAll(async () => {
  A = await createUser(db);
  B = await createUser(db);
});

/** [label, path, expected reason] — every one must be refused. */
function attacks(): [string, string, "invalid_path" | "forbidden_path"][] {
  return [
    ["dot-dot prefix", `../${B}/export.json`, "invalid_path"],
    ["dot-dot inside", `${A}/../${B}/export.json`, "invalid_path"],
    ["dot-dot at the end", `${A}/..`, "invalid_path"],
    ["dot segment", `${A}/./export.json`, "invalid_path"],
    ["absolute path", `/${A}/export.json`, "invalid_path"],
    ["absolute system path", "/etc/passwd", "invalid_path"],
    ["another user's folder", `${B}/export.json`, "forbidden_path"],
    ["own uid in upper case", `${A.toUpperCase()}/export.json`, "forbidden_path"],
    ["uid as a prefix of a longer name", `${A}x/export.json`, "forbidden_path"],
    ["no folder", "export.json", "forbidden_path"],
    ["percent-encoded dot-dot", `${A}/%2e%2e/${B}/export.json`, "invalid_path"],
    ["percent-encoded slash", `${A}%2F..%2F${B}/export.json`, "invalid_path"],
    ["double-encoded", `${A}/%252e%252e/export.json`, "invalid_path"],
    ["backslash traversal", `${A}\\..\\${B}\\export.json`, "invalid_path"],
    ["backslash separator", `${A}\\export.json`, "invalid_path"],
    ["double slash", `${A}//export.json`, "invalid_path"],
    ["newline", `${A}/exp\nort.json`, "invalid_path"],
    ["tab", `${A}/exp\tort.json`, "invalid_path"],
    ["non-ASCII look-alike dots", `${A}/\u2024\u2024/export.json`, "invalid_path"],
    ["empty", "", "invalid_path"],
    ["only the uid", A, "invalid_path"],
    ["over 1024 characters", `${A}/${"a".repeat(1100)}.json`, "invalid_path"],
  ];
}

describe("begin_import() path checks", () => {
  it("begin_import() refuses every path attack with invalid_path (400) or forbidden_path (403)", async () => {
    const results = await Promise.all(
      attacks().map(async ([label, path, reason]) => {
        const fileType = path.endsWith("/") ? "shards" : "json";
        const f = await failure(rpc(db, user(A, newLane()), "begin_import", { p_storage_path: path, p_file_type: fileType }));
        return { label, got: `${f.code} ${f.detail}`, want: `${reason === "forbidden_path" ? "PT403" : "PT400"} ${reason}` };
      }),
    );
    expect(results.filter((r) => r.got !== r.want)).toEqual([]);
  });

  it("begin_import() refuses a NUL byte before it reaches any check", async () => {
    const f = await failure(rpc(db, user(A, newLane()), "begin_import", { p_storage_path: `${A}/x\u0000.json`, p_file_type: "json" }));
    expect(f.code).toBe("22021");
  });

  it("begin_import() refuses json/zip pointing at a folder and shards pointing at a file or a nested folder", async () => {
    const id = randomUUID();
    const cases: [string, string][] = [
      [`${A}/${id}/`, "json"],
      [`${A}/${id}/`, "zip"],
      [`${A}/${id}/manifest.json`, "shards"],
      [`${A}/${id}/nested/`, "shards"],
      [`${A}/not-an-id/`, "shards"],
    ];
    for (const [path, type] of cases) {
      const f = await failure(rpc(db, user(A, newLane()), "begin_import", { p_storage_path: path, p_file_type: type }));
      expect(`${path} ${type}: ${f.code} ${f.detail}`).toBe(`${path} ${type}: PT400 invalid_path`);
    }
  });

  it("begin_import() refuses an unknown file type", async () => {
    const f = await failure(rpc(db, user(A, newLane()), "begin_import", { p_storage_path: `${A}/x.json`, p_file_type: "tar" }));
    expect([f.code, f.detail]).toEqual(["PT400", "invalid_file_type"]);
  });

  it("begin_import() accepts a normalized path under the caller's own folder", async () => {
    const uid = await createUser(db);
    const id = randomUUID();
    const r = await rpc<{ import_id: string; created: boolean }>(db, user(uid, newLane()), "begin_import", {
      p_storage_path: `${uid}/${id}/`,
      p_file_type: "shards",
    });
    expect(r).toMatchObject({ import_id: id, created: true });
  });
});

describe("storage.objects policies on bucket imports", () => {
  async function insertAs(uid: string, name: string): Promise<string> {
    return await probe(db, user(uid), async (c) => {
      try {
        await c.query(`insert into storage.objects (bucket_id, name) values ('imports', $1)`, [name]);
        return "allowed";
      } catch (error) {
        return (error as { code?: string }).code ?? "error";
      }
    });
  }

  it("an upload under the user's own folder is allowed", async () => {
    expect(await insertAs(A, `${A}/${randomUUID()}/shard-00001.ndjson.gz`)).toBe("allowed");
    expect(await insertAs(A, `${A}/conversations (1).json`)).toBe("allowed");
  });

  it("every path attack is refused as an upload too", async () => {
    const results = await Promise.all(
      attacks().map(async ([label, path]) => ({ label, got: await insertAs(A, path) })),
    );
    expect(results.filter((r) => r.got !== "42501")).toEqual([]);
    expect(await insertAs(A, `${A}/x\u0000.json`)).toBe("22021");
  });

  it("a user cannot upload into, read, overwrite or delete another user's folder", async () => {
    const name = `${B}/${randomUUID()}/manifest.json`;
    const outcome = await probe(
      db,
      user(A),
      async (c) => {
        const read = (await c.query(`select 1 from storage.objects where name = $1`, [name])).rowCount;
        const update = (await c.query(`update storage.objects set metadata = '{}' where name = $1`, [name])).rowCount;
        const del = (await c.query(`delete from storage.objects where name = $1`, [name])).rowCount;
        let insert = "allowed";
        await c.query("savepoint s");
        try {
          await c.query(`insert into storage.objects (bucket_id, name) values ('imports', $1)`, [`${B}/mine.json`]);
        } catch (error) {
          insert = (error as { code?: string }).code ?? "error";
          await c.query("rollback to savepoint s");
        }
        return { read, update, del, insert };
      },
      async (c) => void (await c.query(`insert into storage.objects (bucket_id, name) values ('imports', $1)`, [name])),
    );
    expect(outcome).toEqual({ read: 0, update: 0, del: 0, insert: "42501" });
  });

  it("a user cannot move an own object into another user's folder", async () => {
    const name = `${A}/${randomUUID()}/manifest.json`;
    const code = await probe(
      db,
      user(A),
      async (c) => {
        try {
          await c.query(`update storage.objects set name = $2 where name = $1`, [name, `${B}/stolen.json`]);
          return "allowed";
        } catch (error) {
          return (error as { code?: string }).code ?? "error";
        }
      },
      async (c) => void (await c.query(`insert into storage.objects (bucket_id, name) values ('imports', $1)`, [name])),
    );
    expect(code).toBe("42501");
  });
});
