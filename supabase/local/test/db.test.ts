import { afterAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.ts";
import { createPool, withClaims } from "../src/db.ts";
import { sql, stackInfo } from "./clients.ts";

const dbPort = Number(new URL(stackInfo().dbUrl).port);
const pool = createPool(defaultConfig({ dbPort }), 2);

afterAll(async () => {
  await pool.end();
});

describe("createPool()", () => {
  it("a request whose connection is killed mid-transaction fails alone; the pool keeps serving", async () => {
    const admin = await sql();
    try {
      const failed = withClaims(pool, { role: "anon", claims: { role: "anon" } }, async (client) => {
        const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
        await admin.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
        await client.query("select 1");
      });
      await expect(failed).rejects.toThrow();
      const role = await withClaims(pool, { role: "anon", claims: { role: "anon" } }, async (client) =>
        (await client.query<{ role: string }>("select current_user as role")).rows[0]!.role,
      );
      expect(role).toBe("anon");
    } finally {
      await admin.end();
    }
  });
});
