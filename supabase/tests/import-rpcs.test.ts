/**
 * begin_import(), get_import_status(), cancel_import() and rebuild_memory() as a user calls them.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { ImportStatusSchema, UserProfileSchema, type ImportStatus } from "../../shared/import-status.ts";
import { applyClaims } from "../local/src/db.ts";
import { createUser, failure, newLane, openSessions, q, rpc, service, testPool, user } from "./db.ts";
import { failFullPass, lease, profileRow, runQuickPass, runRow, startShardImport, tasksOf } from "./imports.ts";

const db = testPool(6);
afterAll(() => db.end());

async function status(uid: string): Promise<ImportStatus> {
  return ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
}

describe("begin_import()", () => {
  it("begin_import() records the export on the profile and queues a run with its first task", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    const r = await rpc<{ import_id: string; run_id: string; created: boolean }>(db, user(uid, lane), "begin_import", {
      p_storage_path: `${uid}/conversations.json`,
      p_file_type: "json",
    });
    expect(r.created).toBe(true);
    const profile = await profileRow(db, uid);
    expect(profile).toMatchObject({
      storage_path: `${uid}/conversations.json`,
      file_type: "json",
      import_id: r.import_id,
      import_status: "processing",
      full_pass_status: "pending",
      full_pass_attempts: 1,
      current_run_id: r.run_id,
    });
    expect(await runRow(db, r.run_id)).toMatchObject({ status: "queued", kind: "import", lane, attempt: 1 });
    const tasks = await tasksOf(db, r.run_id);
    expect([...tasks.keys()]).toEqual(["normalize"]);
    expect(tasks.get("normalize")).toMatchObject({ state: "queued", attempts: 0, kind: "normalize" });
  });

  it("begin_import() is idempotent for the same import id and refuses a different export under it", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    const id = randomUUID();
    const args = { p_storage_path: `${uid}/${id}/`, p_file_type: "shards" };
    const first = await rpc<{ run_id: string; created: boolean }>(db, user(uid, lane), "begin_import", args);
    const again = await rpc<{ run_id: string; created: boolean }>(db, user(uid, lane), "begin_import", { ...args, p_import_id: id });
    expect(again).toEqual({ import_id: id, run_id: first.run_id, created: false });
    const other = await failure(
      rpc(db, user(uid, lane), "begin_import", { p_storage_path: `${uid}/x.zip`, p_file_type: "zip", p_import_id: id }),
    );
    expect([other.code, other.detail]).toEqual(["PT409", "import_id_conflict"]);
  });

  it("begin_import() refuses a second import while a run is active (PT409 import_in_progress)", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    const f = await failure(rpc(db, user(uid, imp.lane), "begin_import", { p_storage_path: `${uid}/b.json`, p_file_type: "json" }));
    expect([f.code, f.detail]).toEqual(["PT409", "import_in_progress"]);
    expect(JSON.parse(f.hint ?? "{}")).toEqual({ run_id: imp.runId });
  });

  it("100 parallel begin_import() with one import id create exactly one run", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    const id = randomUUID();
    const sessions = await openSessions(100, () => user(uid, lane));
    const results = await Promise.all(
      sessions.map(async (c) => {
        try {
          const { rows } = await c.query(`select public.begin_import($1, 'shards') as r`, [`${uid}/${id}/`]);
          await c.query("commit");
          return rows[0].r as { created: boolean; run_id: string };
        } catch (error) {
          await c.query("rollback");
          return { error: (error as { detail?: string }).detail };
        } finally {
          await c.end();
        }
      }),
    );
    const created = results.filter((r) => "created" in r && r.created);
    const replays = results.filter((r) => "created" in r && !r.created);
    expect([created.length, replays.length]).toEqual([1, 99]);
    expect(new Set(results.map((r) => ("run_id" in r ? r.run_id : r.error))).size).toBe(1);
    const [{ n }] = (await q<{ n: number }>(db, `select count(*)::int as n from engram_private.import_runs where user_id = $1`, [uid])) as [{ n: number }];
    expect(n).toBe(1);
  });

  it("100 parallel begin_import() with different import ids: one run, 99 import_in_progress", async () => {
    const uid = await createUser(db);
    const lane = newLane();
    const sessions = await openSessions(100, () => user(uid, lane));
    const results = await Promise.all(
      sessions.map(async (c) => {
        try {
          await c.query(`select public.begin_import($1, 'shards')`, [`${uid}/${randomUUID()}/`]);
          await c.query("commit");
          return "created";
        } catch (error) {
          await c.query("rollback");
          return (error as { detail?: string }).detail ?? "error";
        } finally {
          await c.end();
        }
      }),
    );
    expect(results.filter((r) => r === "created").length).toBe(1);
    expect(results.filter((r) => r === "import_in_progress").length).toBe(99);
    const [{ n }] = (await q<{ n: number }>(db, `select count(*)::int as n from engram_private.import_runs where user_id = $1`, [uid])) as [{ n: number }];
    expect(n).toBe(1);
  });
});

describe("get_import_status()", () => {
  it("get_import_status() describes a user who never imported", async () => {
    const uid = await createUser(db);
    const s = await status(uid);
    expect(s).toMatchObject({
      import_status: "none",
      full_pass_status: "pending",
      storage_path: null,
      run_id: null,
      stale: false,
      can_retry: false,
      retry_blocked_reason: "no_export",
      retry_after_seconds: null,
      max_attempts: 5,
    });
  });

  it("get_import_status() follows an import through quick-ready to a failed full pass that may be retried", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    expect(await status(uid)).toMatchObject({ import_status: "processing", can_retry: false, retry_blocked_reason: "in_progress" });
    await failFullPass(db, imp, 3);
    const s = await status(uid);
    expect(s).toMatchObject({
      import_status: "quick_ready",
      full_pass_status: "failed",
      full_pass_error_kind: "retryable",
      conversation_count: 30,
      run_id: imp.runId,
      run_status: "failed",
      stale: false,
      can_retry: true,
      retry_blocked_reason: null,
    });
    expect(s.full_pass_error).toMatch(/1 shard\(s\) could not be processed: provider rate limited/);
  });

  it("get_import_status() counts the caller's chunks and facts", async () => {
    const uid = await createUser(db);
    await rpc(db, service, "worker_upsert_chunks", {
      p_user_id: uid,
      p_import_id: null,
      p_chunks: JSON.stringify([0, 1, 2].map((i) => ({ conversation_id: "c", chunk_index: i, content: `part ${i}` }))),
    });
    await rpc(db, service, "worker_upsert_facts", { p_user_id: uid, p_facts: JSON.stringify([{ statement: "Likes tea" }]) });
    expect(await status(uid)).toMatchObject({ chunk_count: 3, fact_count: 1 });
  });
});

describe("cancel_import() and rebuild_memory()", () => {
  it("cancel_import() stops the active run, releases its leases and allows a resume", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 2);
    const [task] = await lease(db, imp.lane, "worker-1", 1);
    const r = await rpc(db, user(uid), "cancel_import");
    expect(r).toEqual({ run_id: imp.runId, cancelled: true });
    expect(await runRow(db, imp.runId)).toMatchObject({ status: "cancelled" });
    expect(await profileRow(db, uid)).toMatchObject({ full_pass_status: "failed", full_pass_error: "Cancelled" });
    const beat = await rpc<boolean>(db, service, "worker_heartbeat", { p_task_id: task!.id, p_worker: "worker-1" });
    expect(beat).toBe(false);
    expect(await rpc(db, user(uid), "cancel_import")).toEqual({ run_id: imp.runId, cancelled: false });
    expect(await status(uid)).toMatchObject({ can_retry: true });
  });

  it("rebuild_memory() deletes derived rows and starts a new run from the stored export", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await failFullPass(db, imp, 2);
    await rpc(db, service, "worker_upsert_chunks", {
      p_user_id: uid,
      p_import_id: imp.importId,
      p_chunks: JSON.stringify([{ conversation_id: "c", chunk_index: 0, content: "old" }]),
    });
    const r = await rpc<{ run_id: string; import_id: string }>(db, user(uid, imp.lane), "rebuild_memory");
    expect(r.run_id).not.toBe(imp.runId);
    expect(r.import_id).toBe(imp.importId);
    expect(await runRow(db, r.run_id)).toMatchObject({ kind: "rebuild", status: "queued", storage_path: `${uid}/${imp.importId}/` });
    expect([...(await tasksOf(db, r.run_id)).keys()]).toEqual(["quick_pass"]);
    const [{ n }] = (await q<{ n: number }>(db, `select count(*)::int as n from public.conversation_chunks where user_id = $1`, [uid])) as [{ n: number }];
    expect(n).toBe(0);
    expect(await profileRow(db, uid)).toMatchObject({ import_status: "processing", full_pass_status: "pending", current_run_id: r.run_id });
  });

  it("rebuild_memory() refuses without a stored export and while a live run is active", async () => {
    const none = await createUser(db);
    const f1 = await failure(rpc(db, user(none), "rebuild_memory"));
    expect([f1.code, f1.detail]).toEqual(["PT404", "no_export"]);
    const uid = await createUser(db);
    await startShardImport(db, uid, newLane());
    const f2 = await failure(rpc(db, user(uid), "rebuild_memory"));
    expect([f2.code, f2.detail]).toEqual(["PT409", "import_in_progress"]);
  });
});

describe("database guarantees", () => {
  it("a second active run for one user violates the unique partial index, whatever code tries", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    const f = await failure(
      q(db, `insert into engram_private.import_runs (user_id, import_id, kind, storage_path, file_type, status)
             values ($1, gen_random_uuid(), 'rebuild', $2, 'shards', 'running')`, [uid, `${uid}/${imp.importId}/`]),
    );
    expect([f.code, f.message]).toEqual(["23505", expect.stringContaining("import_runs_one_active_per_user")]);
  });

  it("user RPCs refuse a token without a subject (PT401 not_authenticated)", async () => {
    const client = await db.connect();
    try {
      const codes: string[] = [];
      for (const call of ["get_import_status()", "claim_full_pass_retry()", "cancel_import()", "rebuild_memory()",
        "begin_import('x/y.json', 'json')", "check_rate_limit('chat')"]) {
        await client.query("begin");
        await applyClaims(client, { role: "authenticated", claims: { role: "authenticated" } });
        const f = await failure(client.query(`select public.${call}`));
        codes.push(`${call}: ${f.code} ${f.detail}`);
        await client.query("rollback");
      }
      expect(codes.filter((c) => !c.endsWith("PT401 not_authenticated"))).toEqual([]);
    } finally {
      client.release();
    }
  });
});

describe("begin_import() over a stale run", () => {
  it("begin_import() cancels and replaces a run that stopped showing signs of life", async () => {
    const uid = await createUser(db);
    const old = await startShardImport(db, uid, newLane());
    await q(db, `update engram_private.import_runs set created_at = now() - interval '5 minutes' where id = $1`, [old.runId]);
    await q(db, `update engram_private.import_tasks set retry_after = now() - interval '5 minutes' where run_id = $1`, [old.runId]);
    const fresh = await startShardImport(db, uid, old.lane);
    expect(fresh.runId).not.toBe(old.runId);
    expect(await runRow(db, old.runId)).toMatchObject({ status: "cancelled", error: "Replaced by a new import" });
    expect(await profileRow(db, uid)).toMatchObject({ current_run_id: fresh.runId, import_status: "processing" });
  });
});

describe("shared/import-status.ts matches the database", () => {
  it("ImportStatusSchema has exactly the keys get_import_status() returns", async () => {
    const uid = await createUser(db);
    await startShardImport(db, uid, newLane());
    const raw = await rpc<Record<string, unknown>>(db, user(uid), "get_import_status");
    expect(Object.keys(raw).sort()).toEqual(Object.keys(ImportStatusSchema.shape).sort());
    expect(ImportStatusSchema.safeParse(raw).success).toBe(true);
  });

  it("UserProfileSchema has exactly the columns of user_profiles and parses a row as JSON delivers it", async () => {
    const uid = await createUser(db);
    await startShardImport(db, uid, newLane());
    const [row] = await q<{ j: Record<string, unknown> }>(db, `select to_jsonb(p) as j from public.user_profiles p where user_id = $1`, [uid]);
    expect(Object.keys(row!.j).sort()).toEqual(Object.keys(UserProfileSchema.shape).sort());
    expect(UserProfileSchema.safeParse(row!.j).success).toBe(true);
  });
});
