import type { SupabaseClient } from "@supabase/supabase-js";
import { type LeasedTask, type NewTask, TaskError } from "./types.ts";

/** A chunk as `worker_upsert_chunks` takes it; the key is (user_id, conversation_id, chunk_index). */
export interface ChunkInput {
  conversation_id: string;
  chunk_index: number;
  content: string;
  conversation_title: string | null;
  conversation_time: string | null;
  token_estimate: number;
}

/** A fact as `worker_upsert_facts` takes it (deduplicated by normalized key in SQL). */
export interface FactInput {
  fact_key?: string;
  category: string;
  statement: string;
  confidence: number;
  sources: FactSource[];
}

/** A memory fact row (`memory_facts`), keyed by (user_id, fact_key). */
export interface FactRow {
  user_id: string;
  fact_key: string;
  category: string;
  statement: string;
  confidence: number;
  sources: FactSource[];
  first_seen: string | null;
  last_seen: string | null;
}

/** Where a fact was seen. */
export interface FactSource {
  conversation_id: string;
  chunk_index: number;
  conversation_title: string | null;
  conversation_time: string | null;
}

/** A fault-injection row as `worker_take_faults` returns it (local stack only, see faults.ts). */
export interface FaultRow {
  id: number;
  action: "fail" | "fail_permanent" | "kill" | "delay" | "lease";
  after_items: number | null;
  delay_ms: number | null;
  lease_seconds: number | null;
  message: string | null;
  final: boolean | null;
}

/** The worker's view of Postgres: the worker RPCs of the DB contract plus idempotent result writes. */
export class WorkerDb {
  constructor(private readonly client: SupabaseClient) {}

  private async rpc<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    const { data, error } = await this.client.rpc(fn, args);
    if (error) {
      const permanent = /^PT4\d\d$/.test(error.code ?? "") && error.code !== "PT409" && error.code !== "PT429";
      throw new TaskError(permanent ? "permanent" : "retryable", `${fn} failed: ${error.message}`, { cause: error });
    }
    return data as T;
  }

  /** Leases up to `limit` ready tasks for `worker`. */
  async lease(worker: string, limit: number, leaseSeconds: number): Promise<LeasedTask[]> {
    const rows = await this.rpc<unknown[] | null>("worker_lease_tasks", {
      p_worker: worker,
      p_limit: limit,
      p_lease_seconds: leaseSeconds,
    });
    return (rows ?? []).map((r) => normalizeTask(r));
  }

  /** Extends the lease and saves `checkpoint`; false when the lease was lost. */
  heartbeat(taskId: number, worker: string, leaseSeconds: number, checkpoint?: Record<string, unknown>): Promise<boolean> {
    return this.rpc<boolean>("worker_heartbeat", {
      p_task_id: taskId,
      p_worker: worker,
      p_lease_seconds: leaseSeconds,
      p_checkpoint: checkpoint ?? null,
    });
  }

  complete(taskId: number, worker: string, result: Record<string, unknown>): Promise<{ run_done: boolean }> {
    return this.rpc("worker_complete_task", { p_task_id: taskId, p_worker: worker, p_result: result });
  }

  fail(taskId: number, worker: string, error: string, kind: "retryable" | "permanent"): Promise<{ will_retry: boolean; retry_after: string | null }> {
    return this.rpc("worker_fail_task", { p_task_id: taskId, p_worker: worker, p_error: error, p_kind: kind });
  }

  addTasks(runId: string, tasks: NewTask[]): Promise<number> {
    return this.rpc("worker_add_tasks", { p_run_id: runId, p_tasks: tasks });
  }

  async progress(runId: string, stage: string, percent: number, fields: Record<string, unknown> = {}): Promise<void> {
    await this.rpc("worker_report_progress", {
      p_run_id: runId,
      p_stage: stage,
      p_percent: Math.max(0, Math.min(100, Math.round(percent))),
      p_fields: fields,
    });
  }

  async markQuickReady(runId: string, stats: Record<string, unknown>): Promise<void> {
    await this.rpc("worker_mark_quick_ready", { p_run_id: runId, p_stats: stats });
  }

  finishRun(runId: string): Promise<Record<string, unknown>> {
    return this.rpc("worker_finish_run", { p_run_id: runId });
  }

  /** Fault injection only: uses up the task's attempts so the next failure is final. */
  async exhaustAttempts(taskId: number, worker: string): Promise<void> {
    await this.rpc("worker_fault_exhaust_attempts", { p_task_id: taskId, p_worker: worker });
  }

  /** Fault rows that fire for this task (consumed atomically in SQL). */
  async takeFaults(userId: string, kind: string, shardIndex: number | null): Promise<FaultRow[]> {
    const rows = await this.rpc<FaultRow[] | null>("worker_take_faults", {
      p_user_id: userId,
      p_kind: kind,
      p_shard_index: shardIndex,
    });
    return rows ?? [];
  }

  /**
   * Upserts chunks on (user_id, conversation_id, chunk_index) through `worker_upsert_chunks`
   * (content hash computed in SQL; a replay changes nothing). Returns rows inserted or changed.
   */
  async upsertChunks(userId: string, importId: string, chunks: ChunkInput[]): Promise<number> {
    let changed = 0;
    for (let i = 0; i < chunks.length; i += 500) {
      changed += await this.rpc<number>("worker_upsert_chunks", {
        p_user_id: userId,
        p_import_id: importId,
        p_chunks: chunks.slice(i, i + 500),
      });
    }
    return changed;
  }

  /**
   * Upserts facts on (user_id, normalized fact_key) through `worker_upsert_facts`, which merges
   * sources in SQL, so the result does not depend on the order shards finish in.
   */
  async upsertFacts(userId: string, facts: FactInput[]): Promise<number> {
    let changed = 0;
    for (let i = 0; i < facts.length; i += 500) {
      changed += await this.rpc<number>("worker_upsert_facts", { p_user_id: userId, p_facts: facts.slice(i, i + 500) });
    }
    return changed;
  }

  /** Every fact of `userId`, paged. */
  async allFacts(userId: string): Promise<FactRow[]> {
    const out: FactRow[] = [];
    for (let from = 0;; from += 1000) {
      const { data, error } = await this.client
        .from("memory_facts")
        .select("user_id,fact_key,category,statement,confidence,sources,first_seen,last_seen")
        .eq("user_id", userId)
        .order("fact_key")
        .range(from, from + 999);
      if (error) throw new TaskError("retryable", `reading facts failed: ${error.message}`, { cause: error });
      out.push(...((data ?? []) as FactRow[]));
      if ((data ?? []).length < 1000) return out;
    }
  }

  /** The stats of the stored profile, if any (finalize keeps the quick pass's topics). */
  async profileStats(userId: string): Promise<{ top_topics?: string[] } | null> {
    const { data, error } = await this.client.from("memory_profiles").select("stats").eq("user_id", userId).maybeSingle();
    if (error) throw new TaskError("retryable", `reading the memory profile failed: ${error.message}`, { cause: error });
    return (data?.stats as { top_topics?: string[] } | undefined) ?? null;
  }

  /** Results of the done tasks of `kind` in a run (finalize merges the shards' counts). */
  async taskResults(runId: string, kind: string): Promise<Record<string, unknown>[]> {
    const rows = await this.rpc<unknown[] | null>("worker_task_results", { p_run_id: runId, p_kind: kind });
    return (rows ?? []).map((r) => (r && typeof r === "object" ? r as Record<string, unknown> : {}));
  }

  /** Number of chunks stored for `userId`. */
  async chunkCount(userId: string): Promise<number> {
    const { count, error } = await this.client
      .from("conversation_chunks")
      .select("id", { count: "exact", head: true })
      .eq("user_id", userId);
    if (error) throw new TaskError("retryable", `counting chunks failed: ${error.message}`, { cause: error });
    return count ?? 0;
  }

  /** Writes the consolidated profile (`memory_profiles`, one row per user). */
  async upsertProfile(row: {
    user_id: string;
    markdown: string;
    facts: unknown;
    stats: unknown;
    partial: boolean;
  }): Promise<void> {
    const { error } = await this.client.from("memory_profiles").upsert(row, { onConflict: "user_id" });
    if (error) throw new TaskError("retryable", `writing the memory profile failed: ${error.message}`, { cause: error });
  }
}

function normalizeTask(raw: unknown): LeasedTask {
  const r = (typeof raw === "object" && raw !== null && "worker_lease_tasks" in raw
    ? (raw as { worker_lease_tasks: unknown }).worker_lease_tasks
    : raw) as LeasedTask;
  return {
    ...r,
    id: Number(r.id),
    payload: r.payload ?? {},
    checkpoint: r.checkpoint ?? null,
    attempts: Number(r.attempts ?? 0),
  };
}
