/**
 * claim_full_pass_retry(): one atomic decision in SQL, resuming (not restarting) a failed or
 * stale full pass from the stored export.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ClaimRetryResultSchema, ImportStatusSchema, parseDbRefusal } from "../../shared/import-status.ts";
import { createUser, failure, newLane, openSessions, q, rpc, service, testPool, user } from "./db.ts";
import { failFullPass, lease, profileRow, runQuickPass, runRow, startShardImport, tasksOf, type StartedImport } from "./imports.ts";

const db = testPool(6);
afterAll(() => db.end());

async function failedImport(shards = 3): Promise<StartedImport> {
  const uid = await createUser(db);
  const imp = await startShardImport(db, uid, newLane());
  await failFullPass(db, imp, shards);
  return imp;
}

/** Makes the run of `imp` look silent for `seconds` (heartbeat, start, leases all that old). */
async function silence(imp: StartedImport, seconds: number): Promise<void> {
  await q(
    db,
    `update engram_private.import_runs set last_heartbeat_at = now() - make_interval(secs => $2),
       started_at = now() - make_interval(secs => $2), created_at = now() - make_interval(secs => $2) where id = $1`,
    [imp.runId, seconds],
  );
  await q(
    db,
    `update engram_private.import_tasks set
       lease_expires_at = case when state = 'running' then now() - make_interval(secs => $2) end,
       retry_after = least(retry_after, now() - make_interval(secs => $2))
     where run_id = $1`,
    [imp.runId, seconds],
  );
}

describe("claim_full_pass_retry()", () => {
  it("claim_full_pass_retry() resumes a failed full pass: only unfinished tasks are re-queued", async () => {
    const imp = await failedImport(3);
    const before = await tasksOf(db, imp.runId);
    const claim = ClaimRetryResultSchema.parse(await rpc(db, user(imp.uid), "claim_full_pass_retry"));
    expect(claim).toEqual({
      run_id: imp.runId,
      import_id: imp.importId,
      storage_path: `${imp.uid}/${imp.importId}/`,
      file_type: "shards",
      attempt: 2,
      requeued_tasks: 2, // shard-1 and finalize
    });
    const after = await tasksOf(db, imp.runId);
    for (const key of ["quick_pass", "shard-0", "shard-2"]) {
      expect(after.get(key), key).toEqual(before.get(key)); // done work untouched
    }
    expect(after.get("shard-1")).toMatchObject({ state: "queued", attempts: 0, error: null, lease_owner: null });
    expect(after.get("finalize")).toMatchObject({ state: "queued" });
    expect(await profileRow(db, imp.uid)).toMatchObject({
      full_pass_status: "processing",
      full_pass_error: null,
      full_pass_error_kind: null,
      full_pass_attempts: 2,
      import_status: "quick_ready",
    });
    expect(await runRow(db, imp.runId)).toMatchObject({ status: "queued", attempt: 2, error: null });
    // The next lease gets the failed shard, and finalize only after it.
    const next = await lease(db, imp.lane, "w-after-retry", 10);
    expect(next.map((t) => t.idempotency_key)).toEqual(["shard-1"]);
  });

  it("100 parallel claim_full_pass_retry() on one failed profile: exactly one succeeds", async () => {
    const imp = await failedImport(2);
    const sessions = await openSessions(100, () => user(imp.uid));
    const results = await Promise.all(
      sessions.map(async (c) => {
        try {
          await c.query(`select public.claim_full_pass_retry()`);
          await c.query("commit");
          return "claimed";
        } catch (error) {
          await c.query("rollback");
          return (error as { detail?: string }).detail ?? "error";
        } finally {
          await c.end();
        }
      }),
    );
    const counts = results.reduce<Record<string, number>>((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {});
    expect(counts).toEqual({ claimed: 1, already_processing: 99 });
    expect(await profileRow(db, imp.uid)).toMatchObject({ full_pass_attempts: 2, full_pass_status: "processing" });
    expect(await runRow(db, imp.runId)).toMatchObject({ attempt: 2, status: "queued" });
  });

  it("claim_full_pass_retry() refuses without a stored export (PT404 no_export)", async () => {
    const uid = await createUser(db);
    const f = await failure(rpc(db, user(uid), "claim_full_pass_retry"));
    expect([f.code, f.detail, f.hint]).toEqual(["PT404", "no_export", undefined]);
  });

  it("claim_full_pass_retry() refuses while the run is alive (PT409 already_processing)", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 1);
    const f = await failure(rpc(db, user(uid), "claim_full_pass_retry"));
    expect([f.code, f.detail]).toEqual(["PT409", "already_processing"]);
    expect(parseDbRefusal({ code: f.code, message: f.message, details: f.detail, hint: f.hint })).toMatchObject({
      status: 409,
      reason: "already_processing",
      hint: { full_pass_status: "processing" },
    });
  });

  it("claim_full_pass_retry() refuses a completed full pass (PT409 already_complete)", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 1);
    for (const t of await lease(db, imp.lane, "w", 10)) {
      await rpc(db, service, "worker_complete_task", { p_task_id: t.id, p_worker: "w" });
    }
    const [fin] = await lease(db, imp.lane, "w", 10);
    await rpc(db, service, "worker_complete_task", { p_task_id: fin!.id, p_worker: "w" });
    await rpc(db, service, "worker_finish_run", { p_run_id: imp.runId });
    const f = await failure(rpc(db, user(uid), "claim_full_pass_retry"));
    expect([f.code, f.detail]).toEqual(["PT409", "already_complete"]);
    const s = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(s).toMatchObject({ full_pass_status: "complete", can_retry: false, retry_blocked_reason: "not_failed" });
  });

  it("claim_full_pass_retry() refuses a permanent failure (PT422 permanent_failure)", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    const [quick] = await lease(db, imp.lane, "w", 1);
    await rpc(db, service, "worker_fail_task", { p_task_id: quick!.id, p_worker: "w", p_error: "manifest.json is not a manifest", p_kind: "permanent" });
    expect(await profileRow(db, uid)).toMatchObject({ import_status: "failed", import_error: "manifest.json is not a manifest" });
    const f = await failure(rpc(db, user(uid), "claim_full_pass_retry"));
    expect([f.code, f.detail]).toEqual(["PT422", "permanent_failure"]);
    const s = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(s).toMatchObject({ can_retry: false, retry_blocked_reason: "permanent_failure" });
  });

  it("claim_full_pass_retry() refuses after max attempts (PT409 too_many_attempts)", async () => {
    const imp = await failedImport(2);
    await q(db, `update public.user_profiles set full_pass_attempts = 5 where user_id = $1`, [imp.uid]);
    const f = await failure(rpc(db, user(imp.uid), "claim_full_pass_retry"));
    expect([f.code, f.detail]).toEqual(["PT409", "too_many_attempts"]);
    const s = ImportStatusSchema.parse(await rpc(db, user(imp.uid), "get_import_status"));
    expect(s).toMatchObject({ can_retry: false, retry_blocked_reason: "too_many_attempts" });
  });

  it("claim_full_pass_retry() is rate limited and says when to come back (PT429)", async () => {
    const imp = await failedImport(2);
    // Five retries were just spent (GCRA: tat = now + 10 minutes).
    await q(db, `insert into engram_private.rate_limits (user_id, action, tat) values ($1, 'retry', now() + interval '10 minutes')`, [imp.uid]);
    const s = ImportStatusSchema.parse(await rpc(db, user(imp.uid), "get_import_status"));
    expect(s).toMatchObject({ can_retry: false, retry_blocked_reason: "rate_limited" });
    expect(s.retry_after_seconds).toBeGreaterThanOrEqual(119);
    expect(s.retry_after_seconds).toBeLessThanOrEqual(120);
    const f = await failure(rpc(db, user(imp.uid), "claim_full_pass_retry"));
    expect([f.code, f.detail]).toEqual(["PT429", "rate_limited"]);
    const refusal = parseDbRefusal({ code: f.code, message: f.message, details: f.detail, hint: f.hint });
    expect(refusal?.retryAfterSeconds).toBeGreaterThanOrEqual(119);
    expect(await profileRow(db, imp.uid)).toMatchObject({ full_pass_status: "failed", full_pass_attempts: 1 });
  });

  it("a refused claim spends nothing from the retry budget", async () => {
    const uid = await createUser(db);
    for (let i = 0; i < 3; i++) await failure(rpc(db, user(uid), "claim_full_pass_retry"));
    const rows = await q(db, `select 1 from engram_private.rate_limits where user_id = $1`, [uid]);
    expect(rows).toEqual([]);
  });
});

describe("stale runs", () => {
  it("a processing full pass silent for more than 120 s is stale and claimable", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 2);
    await lease(db, imp.lane, "dead-worker", 1);
    await silence(imp, 121);
    const s = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(s).toMatchObject({ full_pass_status: "processing", stale: true, can_retry: true, retry_blocked_reason: null });
    const claim = ClaimRetryResultSchema.parse(await rpc(db, user(uid), "claim_full_pass_retry"));
    expect(claim).toMatchObject({ run_id: imp.runId, attempt: 2, requeued_tasks: 3 });
    const after = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(after).toMatchObject({ stale: false, full_pass_status: "processing", retry_blocked_reason: "in_progress" });
    // The dead worker's lease is gone: its late completion is refused.
    const tasks = await tasksOf(db, imp.runId);
    const stolen = [...tasks.values()].find((t) => t.idempotency_key === "shard-0")!;
    const f = await failure(rpc(db, service, "worker_complete_task", { p_task_id: stolen.id, p_worker: "dead-worker" }));
    expect([f.code, f.detail]).toEqual(["PT409", "lease_lost"]);
  });

  it("a processing full pass silent for 119 s is not stale yet", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 1);
    await silence(imp, 119);
    const s = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(s).toMatchObject({ stale: false, can_retry: false, retry_blocked_reason: "in_progress" });
  });

  it("a scheduled retry keeps a run alive until it is due", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 1);
    await silence(imp, 200);
    await q(db, `update engram_private.import_tasks set retry_after = now() + interval '60 seconds' where run_id = $1 and state = 'queued'`, [imp.runId]);
    const s = ImportStatusSchema.parse(await rpc(db, user(uid), "get_import_status"));
    expect(s.stale).toBe(false);
  });
});
