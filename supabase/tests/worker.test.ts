/**
 * The worker's side of the queue: leasing with SKIP LOCKED, phases, heartbeats, backoff, lease
 * expiry and the sweep, finishing runs, bounded progress writes, idempotent result writes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { as, createUser, failure, newLane, q, rpc, service, testPool, user } from "./db.ts";
import { lease, profileRow, runQuickPass, runRow, startShardImport, tasksOf, type LeasedTask, type StartedImport } from "./imports.ts";

const db = testPool(10);
afterAll(() => db.end());

async function importWithShards(shards: number): Promise<StartedImport> {
  const uid = await createUser(db);
  const imp = await startShardImport(db, uid, newLane());
  await runQuickPass(db, imp, shards);
  return imp;
}

async function complete(task: { id: number }, worker: string, result: unknown = null): Promise<{ run_done: boolean }> {
  return await rpc(db, service, "worker_complete_task", {
    p_task_id: task.id, p_worker: worker, p_result: result === null ? null : JSON.stringify(result),
  });
}

async function sweep(lane: string): Promise<Record<string, number>> {
  return await rpc(db, service, "worker_sweep", { p_stale_seconds: 120, p_lane: lane });
}

describe("leasing", () => {
  it("concurrent workers never lease the same task and together lease every task once", async () => {
    const imp = await importWithShards(60);
    const seen: number[][] = [[], [], [], []];
    await Promise.all(
      seen.map(async (mine, w) => {
        for (;;) {
          const got = await lease(db, imp.lane, `worker-${w}`, 3);
          if (got.length === 0) return;
          mine.push(...got.map((t) => t.id));
        }
      }),
    );
    const all = seen.flat();
    expect(all.length).toBe(60);
    expect(new Set(all).size).toBe(60);
    expect(seen.filter((s) => s.length > 0).length).toBeGreaterThan(1);
    const states = await q<{ state: string; n: number }>(
      db,
      `select state, count(*)::int as n from engram_private.import_tasks where run_id = $1 and kind = 'shard' group by state`,
      [imp.runId],
    );
    expect(states).toEqual([{ state: "running", n: 60 }]);
  });

  it("worker_lease_tasks() holds back finalize until every shard has settled", async () => {
    const imp = await importWithShards(2);
    const first = await lease(db, imp.lane, "w", 10);
    expect(first.map((t) => t.kind)).toEqual(["shard", "shard"]);
    expect(await lease(db, imp.lane, "w", 10)).toEqual([]);
    await complete(first[0]!, "w");
    expect(await lease(db, imp.lane, "w", 10)).toEqual([]);
    await rpc(db, service, "worker_fail_task", { p_task_id: first[1]!.id, p_worker: "w", p_error: "bad shard", p_kind: "permanent" });
    const fin = await lease(db, imp.lane, "w", 10);
    expect(fin.map((t) => t.kind)).toEqual(["finalize"]);
    expect(fin[0]).toMatchObject({ storage_path: `${imp.uid}/${imp.importId}/`, file_type: "shards", import_id: imp.importId, attempts: 1 });
  });

  it("worker_lease_tasks() serves a new quick pass before older shards of another import", async () => {
    const big = await importWithShards(5);
    const uid = await createUser(db);
    const small = await startShardImport(db, uid, big.lane);
    const [first] = await lease(db, big.lane, "w", 1);
    expect(first).toMatchObject({ kind: "quick_pass", run_id: small.runId });
  });

  it("worker_lease_tasks() only serves its lane", async () => {
    const imp = await importWithShards(1);
    expect(await lease(db, newLane(), "w", 10)).toEqual([]);
    expect((await lease(db, imp.lane, "w", 10)).length).toBe(1);
  });

  it("worker_lease_tasks() marks the full pass processing on the first shard", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    const [quick] = await lease(db, imp.lane, "w", 1);
    expect(await runRow(db, imp.runId)).toMatchObject({ status: "running" });
    await rpc(db, service, "worker_add_tasks", { p_run_id: imp.runId, p_tasks: JSON.stringify([{ kind: "shard", idempotency_key: "s" }]) });
    await complete(quick!, "w");
    expect(await profileRow(db, uid)).toMatchObject({ full_pass_status: "pending", total_items: 1 });
    await lease(db, imp.lane, "w", 1);
    const p = await profileRow(db, uid);
    expect(p).toMatchObject({ full_pass_status: "processing" });
    expect(p.full_pass_started_at).not.toBeNull();
  });
});

describe("heartbeats, failures and backoff", () => {
  it("worker_heartbeat() extends the holder's lease and saves its checkpoint; anyone else gets false", async () => {
    const imp = await importWithShards(1);
    const [t] = await lease(db, imp.lane, "holder", 1, 30);
    const ok = await rpc<boolean>(db, service, "worker_heartbeat", {
      p_task_id: t!.id, p_worker: "holder", p_lease_seconds: 300, p_checkpoint: JSON.stringify({ offset: 42 }),
    });
    const other = await rpc<boolean>(db, service, "worker_heartbeat", { p_task_id: t!.id, p_worker: "intruder" });
    expect([ok, other]).toEqual([true, false]);
    const [row] = await q<{ secs: number; checkpoint: unknown }>(
      db,
      `select extract(epoch from lease_expires_at - now())::int as secs, checkpoint from engram_private.import_tasks where id = $1`,
      [t!.id],
    );
    expect(row!.secs).toBeGreaterThan(290);
    expect(row!.checkpoint).toEqual({ offset: 42 });
  });

  it("worker_fail_task() backs off min(2^attempts * 5 s, 300 s) and gives up after max_attempts", async () => {
    const imp = await importWithShards(1);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await q(db, `update engram_private.import_tasks set retry_after = now() where run_id = $1 and state = 'queued'`, [imp.runId]);
      const [t] = await lease(db, imp.lane, "w", 1);
      expect(t!.attempts).toBe(attempt);
      const r = await rpc<{ will_retry: boolean; retry_after: string | null }>(db, service, "worker_fail_task", {
        p_task_id: t!.id, p_worker: "w", p_error: `timeout ${attempt}`, p_kind: "retryable",
      });
      if (attempt < 5) {
        expect(r.will_retry).toBe(true);
        const [row] = await q<{ secs: number }>(
          db, `select round(extract(epoch from retry_after - now()))::int as secs from engram_private.import_tasks where id = $1`, [t!.id]);
        delays.push(row!.secs);
      } else {
        expect(r).toMatchObject({ will_retry: false, retry_after: null, run_failed: true });
      }
    }
    expect(delays).toEqual([10, 20, 40, 80]);
    // The cap: a task on its 7th attempt waits 300 s, not 640 s.
    const imp2 = await importWithShards(1);
    await q(db, `update engram_private.import_tasks set attempts = 6, max_attempts = 10 where run_id = $1 and kind = 'shard'`, [imp2.runId]);
    const [t7] = await lease(db, imp2.lane, "w", 1);
    await rpc(db, service, "worker_fail_task", { p_task_id: t7!.id, p_worker: "w", p_error: "x", p_kind: "retryable" });
    const [capped] = await q<{ secs: number }>(
      db, `select round(extract(epoch from retry_after - now()))::int as secs from engram_private.import_tasks where id = $1`, [t7!.id]);
    expect(capped!.secs).toBe(300);
    expect(await runRow(db, imp.runId)).toMatchObject({ status: "failed", error_kind: "retryable" });
  });

  it("worker_fail_task() with a bad kind or a lost lease is refused", async () => {
    const imp = await importWithShards(1);
    const [t] = await lease(db, imp.lane, "w", 1);
    const bad = await failure(rpc(db, service, "worker_fail_task", { p_task_id: t!.id, p_worker: "w", p_error: "x", p_kind: "maybe" }));
    const lost = await failure(rpc(db, service, "worker_fail_task", { p_task_id: t!.id, p_worker: "other", p_error: "x", p_kind: "retryable" }));
    expect([bad.code, bad.detail, lost.code, lost.detail]).toEqual(["PT400", "invalid_argument", "PT409", "lease_lost"]);
  });
});

describe("lease expiry and the sweep", () => {
  it("an expired lease is requeued by the sweep and the task is done exactly once", async () => {
    const imp = await importWithShards(1);
    const [t] = await lease(db, imp.lane, "worker-that-dies", 1);
    await q(db, `update engram_private.import_tasks set lease_expires_at = now() - interval '1 second' where id = $1`, [t!.id]);
    expect(await sweep(imp.lane)).toMatchObject({ requeued: 1, failed_tasks: 0, runnable_runs: 1 });
    expect(await sweep(imp.lane)).toMatchObject({ requeued: 0 });
    const [again] = await lease(db, imp.lane, "worker-2", 1);
    expect(again).toMatchObject({ id: t!.id, attempts: 2 });
    // The first worker wakes up late: its completion and heartbeat are refused.
    const late = await failure(complete(t!, "worker-that-dies", { by: 1 }));
    expect(late.detail).toBe("lease_lost");
    expect(await rpc(db, service, "worker_heartbeat", { p_task_id: t!.id, p_worker: "worker-that-dies" })).toBe(false);
    await complete(again!, "worker-2", { by: 2 });
    const twice = await failure(complete(again!, "worker-2", { by: 3 }));
    expect(twice.detail).toBe("lease_lost");
    const task = (await tasksOf(db, imp.runId)).get("shard-0")!;
    expect(task).toMatchObject({ state: "done", attempts: 2, result: { by: 2 } });
  });

  it("a lease that expires on its last attempt fails the task, and the run says the worker stopped responding", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    const [quick] = await lease(db, imp.lane, "w", 1);
    await q(db, `update engram_private.import_tasks set max_attempts = 1, lease_expires_at = now() - interval '1 second' where id = $1`, [quick!.id]);
    expect(await sweep(imp.lane)).toMatchObject({ requeued: 0, failed_tasks: 1, failed_runs: 1 });
    expect(await runRow(db, imp.runId)).toMatchObject({ status: "failed", error_kind: "retryable" });
    const p = await profileRow(db, uid);
    expect(p).toMatchObject({ import_status: "failed" });
    expect(p.import_error).toMatch(/stopped responding/);
  });

  it("the sweep settles a run whose worker died before worker_finish_run", async () => {
    const imp = await importWithShards(1);
    for (const t of await lease(db, imp.lane, "w", 5)) await complete(t, "w");
    const [fin] = await lease(db, imp.lane, "w", 5);
    const done = await complete(fin!, "w");
    expect(done.run_done).toBe(true);
    expect(await sweep(imp.lane)).toMatchObject({ finished_runs: 1 });
    expect(await profileRow(db, imp.uid)).toMatchObject({ import_status: "complete", full_pass_status: "complete", failed_items: 0 });
  });
  it("the sweep fails a run that stayed silent for 10 minutes, with a reason a retry can act on", async () => {
    const imp = await importWithShards(2);
    const quiet = await importWithShards(1);
    for (const [run, secs] of [[imp.runId, 601], [quiet.runId, 590]] as const) {
      await q(db, `update engram_private.import_runs set last_heartbeat_at = now() - make_interval(secs => $2) where id = $1`, [run, secs]);
      await q(db, `update engram_private.import_tasks set retry_after = now() - make_interval(secs => $2) where run_id = $1`, [run, secs]);
    }
    expect(await sweep(imp.lane)).toMatchObject({ abandoned_runs: 1, stale_runs: 0 });
    expect(await sweep(quiet.lane)).toMatchObject({ abandoned_runs: 0, stale_runs: 1, runnable_runs: 1 });
    expect(await profileRow(db, imp.uid)).toMatchObject({
      full_pass_status: "failed",
      full_pass_error: "The worker stopped responding; retry to resume from where it stopped",
      full_pass_error_kind: "retryable",
    });
    const claim = await rpc<{ requeued_tasks: number }>(db, user(imp.uid), "claim_full_pass_retry");
    expect(claim.requeued_tasks).toBe(3);
  });
});

describe("finishing a run", () => {
  it("worker_finish_run() reports failed items instead of a clean complete", async () => {
    const imp = await importWithShards(3);
    const shards = await lease(db, imp.lane, "w", 3);
    await complete(shards[0]!, "w", { failed_items: 2 });
    await complete(shards[1]!, "w");
    await rpc(db, service, "worker_fail_task", { p_task_id: shards[2]!.id, p_worker: "w", p_error: "corrupt shard", p_kind: "permanent" });
    const early = await failure(rpc(db, service, "worker_finish_run", { p_run_id: imp.runId }));
    expect([early.code, early.detail]).toEqual(["PT409", "tasks_remaining"]);
    const [fin] = await lease(db, imp.lane, "w", 1);
    await complete(fin!, "w");
    const r = await rpc(db, service, "worker_finish_run", { p_run_id: imp.runId });
    expect(r).toMatchObject({ status: "complete", import_status: "complete", full_pass_status: "complete", failed_items: 3 });
    expect(await profileRow(db, imp.uid)).toMatchObject({
      import_stage: "complete_with_errors",
      full_pass_error: "3 item(s) could not be processed",
      total_items: 3,
      done_items: 2,
      progress_percent: 100,
    });
    expect(await rpc(db, service, "worker_finish_run", { p_run_id: imp.runId })).toEqual(r);
  });

  it("a failed finalize fails the run at once", async () => {
    const imp = await importWithShards(1);
    for (const t of await lease(db, imp.lane, "w", 5)) await complete(t, "w");
    const [fin] = await lease(db, imp.lane, "w", 1);
    const r = await rpc(db, service, "worker_fail_task", { p_task_id: fin!.id, p_worker: "w", p_error: "profile write failed", p_kind: "permanent" });
    expect(r).toMatchObject({ will_retry: false, run_failed: true });
    expect(await profileRow(db, imp.uid)).toMatchObject({
      full_pass_status: "failed", full_pass_error: "profile write failed", full_pass_error_kind: "permanent",
    });
  });

  it("worker_add_tasks() skips known idempotency keys and refuses finished runs", async () => {
    const imp = await importWithShards(2);
    const added = await rpc<number>(db, service, "worker_add_tasks", {
      p_run_id: imp.runId,
      p_tasks: JSON.stringify([{ kind: "shard", idempotency_key: "shard-0" }, { kind: "shard", idempotency_key: "shard-9" }]),
    });
    expect(added).toBe(1);
    expect(await profileRow(db, imp.uid)).toMatchObject({ total_items: 3 });
    await rpc(db, service, "worker_finish_run", { p_run_id: imp.runId }).catch(() => undefined);
    await rpc(db, user(imp.uid), "cancel_import");
    const f = await failure(rpc(db, service, "worker_add_tasks", { p_run_id: imp.runId, p_tasks: "[]" }));
    expect([f.code, f.detail]).toEqual(["PT409", "run_not_active"]);
  });
});

describe("progress", () => {
  it("worker_report_progress() writes user_profiles at most once per second unless the stage changes", async () => {
    const imp = await importWithShards(1);
    const version = async () => (await q<{ v: string }>(db, `select xmin::text as v from public.user_profiles where user_id = $1`, [imp.uid]))[0]!.v;
    const report = (stage: string, percent: number, fields: object = {}) =>
      rpc(db, service, "worker_report_progress", { p_run_id: imp.runId, p_stage: stage, p_percent: percent, p_fields: JSON.stringify(fields) });

    await report("shards", 10, { done_items: 1 });
    const v1 = await version();
    for (let i = 0; i < 10; i++) await report("shards", 10 + i, { done_items: 1 + i });
    expect(await version()).toBe(v1); // 10 reports inside a second: no profile write
    expect(await runRow(db, imp.runId)).toMatchObject({ percent: 19, progress: { done_items: 10 } });

    await report("finalizing", 90);
    expect(await version()).not.toBe(v1); // a stage change is written at once
    expect(await profileRow(db, imp.uid)).toMatchObject({ import_stage: "finalizing", progress_percent: 90, done_items: 10 });

    const v2 = await version();
    await q(db, `update engram_private.import_runs set progress_written_at = now() - interval '1.1 seconds' where id = $1`, [imp.runId]);
    await report("finalizing", 95, { conversation_count: 7, bogus: 5, failed_items: "x" });
    expect(await version()).not.toBe(v2); // a second later it is written again
    const p = await profileRow(db, imp.uid);
    expect(p).toMatchObject({ progress_percent: 95, conversation_count: 7, failed_items: 0 });
  });
});

describe("idempotent result writes", () => {
  it("worker_upsert_chunks() replayed changes nothing", async () => {
    const uid = await createUser(db);
    const chunks = Array.from({ length: 5 }, (_, i) => ({
      conversation_id: "conv-1", chunk_index: i, content: `part ${i} about sourdough`,
      conversation_title: "Bread", conversation_time: "2025-03-01T10:00:00Z", token_estimate: 5,
    }));
    const write = () => rpc<number>(db, service, "worker_upsert_chunks", { p_user_id: uid, p_import_id: null, p_chunks: JSON.stringify(chunks) });
    const snapshot = () => q(db, `select id, content_hash, updated_at, xmin::text from public.conversation_chunks where user_id = $1 order by chunk_index`, [uid]);
    expect(await write()).toBe(5);
    const before = await snapshot();
    expect(await write()).toBe(0);
    expect(await snapshot()).toEqual(before);
    chunks[2]!.content = "part 2 rewritten";
    expect(await write()).toBe(1);
    const [row] = await q<{ content_hash: string }>(db, `select content_hash from public.conversation_chunks where user_id = $1 and chunk_index = 2`, [uid]);
    expect(row!.content_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("worker_upsert_facts() deduplicates by normalized key, merges sources, and a replay changes nothing", async () => {
    const uid = await createUser(db);
    const src = (c: string, t: string) => ({ conversation_id: c, chunk_index: 0, conversation_title: c, conversation_time: t });
    const batch1 = [
      { statement: "Likes tomatoes", category: "food", confidence: 0.6, sources: [src("a", "2025-01-01T00:00:00Z")] },
      { fact_key: "  LIKES   tomatoes!! ", statement: "Likes tomatoes a lot", confidence: 0.8, sources: [src("b", "2025-02-01T00:00:00Z")] },
    ];
    const batch2 = [{ statement: "likes tomatoes", confidence: 0.5, sources: [src("c", "2024-12-01T00:00:00Z"), src("a", "2025-01-01T00:00:00Z")] }];
    const write = (facts: object[]) => rpc<number>(db, service, "worker_upsert_facts", { p_user_id: uid, p_facts: JSON.stringify(facts) });
    const snapshot = () => q(db, `select * from public.memory_facts where user_id = $1`, [uid]);
    expect(await write(batch1)).toBe(1);
    expect(await write(batch2)).toBe(1);
    const before = await snapshot();
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ fact_key: "likes tomatoes", statement: "Likes tomatoes a lot", category: "food" });
    expect(before[0]!.confidence).toBeCloseTo(0.8);
    expect((before[0]!.sources as { conversation_id: string }[]).map((s) => s.conversation_id)).toEqual(["b", "a", "c"]);
    expect(await write(batch1)).toBe(0);
    expect(await write(batch2)).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it("a task replayed after a lost lease leaves the same rows as one clean run", async () => {
    const imp = await importWithShards(1);
    const payload = (task: LeasedTask) => ({
      p_user_id: task.user_id,
      p_import_id: task.import_id,
      p_chunks: JSON.stringify([0, 1, 2].map((i) => ({ conversation_id: "c", chunk_index: i, content: `shard text ${i}` }))),
    });
    const [first] = await lease(db, imp.lane, "w1", 1);
    await rpc(db, service, "worker_upsert_chunks", payload(first!));
    await q(db, `update engram_private.import_tasks set lease_expires_at = now() - interval '1 second' where id = $1`, [first!.id]);
    await sweep(imp.lane);
    const [second] = await lease(db, imp.lane, "w2", 1);
    expect(await rpc(db, service, "worker_upsert_chunks", payload(second!))).toBe(0);
    await complete(second!, "w2");
    const rows = await as(db, service, (c) => c.query(`select count(*)::int as n from public.conversation_chunks where user_id = $1`, [imp.uid]));
    expect(rows.rows[0].n).toBe(3);
  });
});
