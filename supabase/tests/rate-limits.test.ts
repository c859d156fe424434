/**
 * Rate limits in Postgres (GCRA): per user and action, decided under a row lock, with the exact
 * wait returned to the caller.
 */
import { afterAll, describe, expect, it } from "vitest";
import { RateLimitResultSchema } from "../../shared/import-status.ts";
import { createUser, failure, newLane, openSessions, q, rpc, testPool, user } from "./db.ts";

const db = testPool(6);
afterAll(() => db.end());

const check = async (uid: string, action: string) =>
  RateLimitResultSchema.parse(await rpc(db, user(uid), "check_rate_limit", { p_action: action }));

describe("check_rate_limit()", () => {
  it("check_rate_limit() allows 5 retries per 10 minutes and refuses the 6th with the wait time", async () => {
    const uid = await createUser(db);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await check(uid, "retry"));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(results[5]!.retry_after_seconds).toBeGreaterThanOrEqual(119);
    expect(results[5]!.retry_after_seconds).toBeLessThanOrEqual(120);
  });

  it("check_rate_limit() spaces chat calls 1 s apart with a burst of 60", async () => {
    const uid = await createUser(db);
    // 59 calls were just made: one left in the burst, then one per second.
    await q(db, `insert into engram_private.rate_limits (user_id, action, tat) values ($1, 'chat', now() + interval '59 seconds')`, [uid]);
    expect(await check(uid, "chat")).toEqual({ allowed: true, retry_after_seconds: 0, remaining: 0 });
    expect(await check(uid, "chat")).toEqual({ allowed: false, retry_after_seconds: 1, remaining: 0 });
  });

  it("check_rate_limit() lets exactly 5 of 100 parallel retry-budget calls through", async () => {
    const uid = await createUser(db);
    const sessions = await openSessions(100, () => user(uid));
    const results = await Promise.all(
      sessions.map(async (c) => {
        try {
          const { rows } = await c.query(`select public.check_rate_limit('retry') as r`);
          await c.query("commit");
          return rows[0].r as { allowed: boolean; retry_after_seconds: number };
        } finally {
          await c.end();
        }
      }),
    );
    expect(results.filter((r) => r.allowed).length).toBe(5);
    const waits = results.filter((r) => !r.allowed).map((r) => r.retry_after_seconds);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(119);
    expect(Math.max(...waits)).toBeLessThanOrEqual(120);
  });

  it("check_rate_limit() budgets are per user and per action", async () => {
    const a = await createUser(db);
    const b = await createUser(db);
    await q(db, `insert into engram_private.rate_limits (user_id, action, tat) values ($1, 'chat', now() + interval '1 minute')`, [a]);
    expect((await check(a, "chat")).allowed).toBe(false);
    expect((await check(a, "retry")).allowed).toBe(true);
    expect((await check(b, "chat")).allowed).toBe(true);
  });

  it("check_rate_limit() allows again once the wait has passed", async () => {
    const uid = await createUser(db);
    await q(db, `insert into engram_private.rate_limits (user_id, action, tat) values ($1, 'chat', now() + interval '60 seconds')`, [uid]);
    expect((await check(uid, "chat")).allowed).toBe(false);
    // One emission interval (1 s) later, as if time had passed.
    await q(db, `update engram_private.rate_limits set tat = tat - interval '1 second' where user_id = $1`, [uid]);
    expect(await check(uid, "chat")).toEqual({ allowed: true, retry_after_seconds: 0, remaining: 0 });
  });

  it("check_rate_limit() refuses an unknown action (PT400 unknown_action)", async () => {
    const uid = await createUser(db);
    const f = await failure(rpc(db, user(uid), "check_rate_limit", { p_action: "mine_bitcoin" }));
    expect([f.code, f.detail]).toEqual(["PT400", "unknown_action"]);
  });
});

describe("begin_import() rate limit", () => {
  it("begin_import() allows 10 new imports an hour and refuses the 11th with the wait time", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    for (let i = 0; i < 10; i++) {
      await rpc(db, user(uid, lane), "begin_import", { p_storage_path: `${uid}/export-${i}.json`, p_file_type: "json" });
      await rpc(db, user(uid), "cancel_import");
    }
    const f = await failure(rpc(db, user(uid, lane), "begin_import", { p_storage_path: `${uid}/export-10.json`, p_file_type: "json" }));
    expect([f.code, f.detail]).toEqual(["PT429", "rate_limited"]);
    const wait = (JSON.parse(f.hint ?? "{}") as { retry_after_seconds: number }).retry_after_seconds;
    expect(wait).toBeGreaterThanOrEqual(359);
    expect(wait).toBeLessThanOrEqual(360);
  });

  it("an idempotent begin_import() replay costs nothing", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    const args = { p_storage_path: `${uid}/same.json`, p_file_type: "json", p_import_id: crypto.randomUUID() };
    for (let i = 0; i < 15; i++) await rpc(db, user(uid, lane), "begin_import", args);
    const [row] = await q<{ secs: number }>(
      db, `select round(extract(epoch from tat - now()))::int as secs from engram_private.rate_limits where user_id = $1 and action = 'import'`, [uid]);
    expect(row!.secs).toBe(360); // exactly one unit (1 hour / 10) spent
  });
});
