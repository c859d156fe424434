/**
 * Users and workers hitting the same run at the same moment: every call either succeeds or is
 * refused for a reason, never by a deadlock (40P01), because every path takes profile -> run and
 * user calls never wait for a task lock.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createUser, newLane, q, rpc, service, testPool, user } from "./db.ts";
import { lease, runQuickPass, startShardImport } from "./imports.ts";

const db = testPool(30);
afterAll(() => db.end());

describe("lock order", () => {
  it("claims, cancels and status reads racing heartbeats, progress and completions never deadlock", async () => {
    const uid = await createUser(db);
    const imp = await startShardImport(db, uid, newLane());
    await runQuickPass(db, imp, 24);
    const tasks = await lease(db, imp.lane, "racer", 24);
    expect(tasks.length).toBe(24);
    // Stale (so claims are allowed) while the worker is in fact still busy with its tasks.
    await q(db, `update engram_private.import_runs set last_heartbeat_at = now() - interval '10 minutes',
                   started_at = now() - interval '10 minutes' where id = $1`, [imp.runId]);
    await q(db, `update engram_private.import_tasks set lease_expires_at = now() - interval '3 minutes',
                   retry_after = now() - interval '10 minutes' where run_id = $1`, [imp.runId]);

    const errors: string[] = [];
    const attempt = async (label: string, call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        const e = error as { code?: string; detail?: string };
        errors.push(`${label}: ${e.code} ${e.detail ?? ""}`);
      }
    };
    const workerCalls = tasks.map(async (t, i) => {
      await attempt("heartbeat", () => rpc(db, service, "worker_heartbeat", { p_task_id: t.id, p_worker: "racer" }));
      await attempt("progress", () => rpc(db, service, "worker_report_progress", {
        p_run_id: imp.runId, p_stage: `shard ${i}`, p_percent: i, p_fields: JSON.stringify({ done_items: i }) }));
      await attempt("complete", () => rpc(db, service, "worker_complete_task", { p_task_id: t.id, p_worker: "racer" }));
    });
    const userCalls = Array.from({ length: 30 }, (_, i) =>
      attempt("user", () => rpc(db, user(uid), ["claim_full_pass_retry", "cancel_import", "get_import_status"][i % 3]!)));
    const sweeps = Array.from({ length: 3 }, () => attempt("sweep", () => rpc(db, service, "worker_sweep", { p_lane: imp.lane })));
    await Promise.all([...workerCalls, ...userCalls, ...sweeps]);

    expect(errors.filter((e) => e.includes("40P01"))).toEqual([]);
    // Everything else is a refusal with a reason.
    expect(errors.filter((e) => !/: PT\d{3} [a-z_]+$/.test(e))).toEqual([]);
  });
});
