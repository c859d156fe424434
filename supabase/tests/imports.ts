/**
 * Import fixtures for the database tests: a user's shard import driven through the worker RPCs
 * into a known state, always in the test's own lane.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { as, q, rpc, service, user } from "./db.ts";

/** A task as worker_lease_tasks returns it. */
export interface LeasedTask {
  id: number;
  run_id: string;
  user_id: string;
  kind: "normalize" | "quick_pass" | "shard" | "finalize";
  idempotency_key: string;
  payload: Record<string, unknown>;
  checkpoint: unknown;
  attempts: number;
  max_attempts: number;
  storage_path: string;
  file_type: string;
  import_id: string;
}

/** An import started by `uid` in `lane`. */
export interface StartedImport {
  uid: string;
  lane: string;
  importId: string;
  runId: string;
}

/** Starts a shard import (`<uid>/<import id>/`) as the user, in `lane`. */
export async function startShardImport(db: pg.Pool, uid: string, lane: string): Promise<StartedImport> {
  const importId = randomUUID();
  const r = await rpc<{ run_id: string; import_id: string }>(db, user(uid, lane), "begin_import", {
    p_storage_path: `${uid}/${importId}/`,
    p_file_type: "shards",
  });
  return { uid, lane, importId: r.import_id, runId: r.run_id };
}

/** Leases up to `limit` tasks of `lane` as `worker`. */
export async function lease(
  db: pg.Pool,
  lane: string,
  worker: string,
  limit = 10,
  leaseSeconds = 60,
): Promise<LeasedTask[]> {
  return await as(db, service, async (c) => {
    const { rows } = await c.query<{ t: LeasedTask }>(
      `select t from public.worker_lease_tasks($1, $2, $3, $4) as t`,
      [worker, limit, leaseSeconds, lane],
    );
    return rows.map((r) => r.t);
  });
}

/**
 * Runs the quick pass of `imp`: leases quick_pass, adds `shards` shard tasks and finalize, marks
 * quick-ready and completes it. Returns the shard idempotency keys.
 */
export async function runQuickPass(db: pg.Pool, imp: StartedImport, shards: number): Promise<string[]> {
  const worker = `w-${randomUUID()}`;
  const [quick] = await lease(db, imp.lane, worker, 1);
  if (!quick || quick.kind !== "quick_pass") throw new Error(`expected the quick_pass task, got ${quick?.kind}`);
  const keys = Array.from({ length: shards }, (_, i) => `shard-${i}`);
  await rpc(db, service, "worker_add_tasks", {
    p_run_id: imp.runId,
    p_tasks: JSON.stringify([
      ...keys.map((k, i) => ({ kind: "shard", idempotency_key: k, payload: { shard: i } })),
      { kind: "finalize", idempotency_key: "finalize" },
    ]),
  });
  await rpc(db, service, "worker_mark_quick_ready", {
    p_run_id: imp.runId,
    p_stats: JSON.stringify({ conversation_count: shards * 10, total_items: shards }),
  });
  await rpc(db, service, "worker_complete_task", { p_task_id: quick.id, p_worker: worker });
  return keys;
}

/**
 * Drives `imp` to a failed full pass: quick pass with `shards` shards, shard 0 done, shard 1 out
 * of attempts on a retryable error (the others done), so the run fails and a retry may resume it.
 */
export async function failFullPass(db: pg.Pool, imp: StartedImport, shards = 3): Promise<void> {
  await runQuickPass(db, imp, shards);
  const worker = `w-${randomUUID()}`;
  const tasks = await lease(db, imp.lane, worker, shards);
  for (const t of tasks) {
    if (t.idempotency_key === "shard-1") {
      await q(db, `update engram_private.import_tasks set max_attempts = 1 where id = $1`, [t.id]);
      await rpc(db, service, "worker_fail_task", {
        p_task_id: t.id, p_worker: worker, p_error: "provider rate limited", p_kind: "retryable",
      });
    } else {
      await rpc(db, service, "worker_complete_task", { p_task_id: t.id, p_worker: worker });
    }
  }
}

/** The run row (superuser read). */
export async function runRow(db: pg.Pool, runId: string): Promise<Record<string, unknown>> {
  const [row] = await q(db, `select * from engram_private.import_runs where id = $1`, [runId]);
  if (!row) throw new Error(`no run ${runId}`);
  return row;
}

/** The profile row (superuser read). */
export async function profileRow(db: pg.Pool, uid: string): Promise<Record<string, unknown>> {
  const [row] = await q(db, `select * from public.user_profiles where user_id = $1`, [uid]);
  if (!row) throw new Error(`no profile ${uid}`);
  return row;
}

/** Tasks of a run by idempotency key (superuser read). */
export async function tasksOf(db: pg.Pool, runId: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await q<Record<string, unknown> & { idempotency_key: string }>(
    db,
    `select * from engram_private.import_tasks where run_id = $1 order by id`,
    [runId],
  );
  return new Map(rows.map((r) => [r.idempotency_key, r]));
}
