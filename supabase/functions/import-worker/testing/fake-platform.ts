import { FakeApi, jsonResponse, type Recorded } from "../../_shared/testing/fake-http.ts";
import type { LeasedTask } from "../types.ts";

/** A task row of the fake queue. */
export interface FakeTask {
  id: number;
  run_id: string;
  user_id: string;
  kind: LeasedTask["kind"];
  idempotency_key: string;
  payload: Record<string, unknown>;
  checkpoint: Record<string, unknown> | null;
  state: "queued" | "running" | "done" | "failed";
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

const PHASE = { normalize: 0, quick_pass: 1, shard: 2, finalize: 3 } as const;

/**
 * An in-memory stand-in for the Supabase HTTP API the worker talks to (Storage objects, the worker
 * RPCs and the three result tables), for Deno unit tests. It implements the queue semantics of the
 * DB contract in their simplest form (phases, leases by owner, idempotent task keys); the real SQL
 * is tested by the stack tests.
 */
export class FakePlatform {
  readonly api = new FakeApi();
  readonly objects = new Map<string, Uint8Array>();
  readonly tasks: FakeTask[] = [];
  readonly chunks = new Map<string, Record<string, unknown>>();
  readonly facts = new Map<string, Record<string, unknown>>();
  readonly profiles = new Map<string, Record<string, unknown>>();
  readonly events: string[] = [];
  run = { id: "run-1", user_id: "user-1", import_id: "imp-1", storage_path: "", file_type: "json" as LeasedTask["file_type"], status: "running" };
  /** When false, Storage answers 200 with the whole object even for a Range request. */
  honourRange = true;
  /** Heartbeats answer false from this count on (simulates a lost lease). */
  loseLeaseAfterHeartbeats = Infinity;
  private heartbeats = 0;
  private nextId = 1;

  constructor() {
    const api = this.api;
    api.on("GET /storage/v1/object/imports/*", (r) => this.download(r));
    api.on("POST /storage/v1/object/imports/*", (r) => this.upload(r));
    api.on("PUT /storage/v1/object/imports/*", (r) => this.upload(r));
    const rpc = (name: string, fn: (args: any) => unknown) => api.on(`POST /rest/v1/rpc/${name}`, (r) => fn(JSON.parse(r.body || "{}")));
    rpc("worker_lease_tasks", (a) => this.lease(a.p_worker, a.p_limit));
    rpc("worker_heartbeat", (a) => {
      const t = this.task(a.p_task_id);
      if (++this.heartbeats > this.loseLeaseAfterHeartbeats || t.state !== "running" || t.lease_owner !== a.p_worker) return false;
      if (a.p_checkpoint) t.checkpoint = a.p_checkpoint;
      return true;
    });
    rpc("worker_complete_task", (a) => {
      const t = this.task(a.p_task_id);
      if (t.state !== "running" || t.lease_owner !== a.p_worker) return { status: 409, json: { code: "PT409", message: "lease lost", details: "lease_lost" } };
      Object.assign(t, { state: "done", result: a.p_result, lease_owner: null });
      this.events.push(`done ${t.idempotency_key}`);
      return { run_done: this.tasks.every((x) => x.state === "done" || x.state === "failed") };
    });
    rpc("worker_fail_task", (a) => {
      const t = this.task(a.p_task_id);
      const retry = a.p_kind === "retryable" && t.attempts < t.max_attempts;
      Object.assign(t, { state: retry ? "queued" : "failed", error: a.p_error, lease_owner: null });
      this.events.push(`fail ${t.idempotency_key} ${a.p_kind}`);
      return { will_retry: retry, retry_after: null, run_failed: !retry && t.kind !== "shard" };
    });
    rpc("worker_add_tasks", (a) => {
      let added = 0;
      for (const n of a.p_tasks) {
        if (this.tasks.some((t) => t.idempotency_key === n.idempotency_key)) continue;
        this.addTask(n.kind, n.idempotency_key, n.payload ?? {});
        added++;
      }
      return added;
    });
    rpc("worker_report_progress", () => undefined);
    rpc("worker_mark_quick_ready", (a) => void this.events.push(`quick_ready ${a.p_stats.conversation_count}`));
    rpc("worker_finish_run", () => {
      this.run.status = "complete";
      this.events.push("finish_run");
      return { status: "complete" };
    });
    rpc("worker_take_faults", () => []);
    rpc("worker_task_results", (a) => this.tasks.filter((t) => t.kind === a.p_kind && t.state === "done").map((t) => t.result ?? {}));
    rpc("worker_upsert_chunks", (a) => {
      for (const c of a.p_chunks) this.chunks.set(`${c.conversation_id}#${c.chunk_index}`, c);
      return a.p_chunks.length;
    });
    rpc("worker_upsert_facts", (a) => {
      for (const f of a.p_facts) this.facts.set(f.fact_key ?? f.statement, { ...f, first_seen: null, last_seen: null });
      return a.p_facts.length;
    });
    api.on("GET /rest/v1/memory_facts", () => [...this.facts.values()]);
    api.on("GET /rest/v1/memory_profiles", () => [...this.profiles.values()]);
    api.on("POST /rest/v1/memory_profiles", (r) => {
      const row = JSON.parse(r.body);
      this.profiles.set(row.user_id, row);
      return new Response(null, { status: 201 });
    });
    api.on("HEAD /rest/v1/conversation_chunks", () => new Response(null, { status: 200, headers: { "Content-Range": `*/${this.chunks.size}` } }));
  }

  /** Starts the run with its first task, as begin_import does. */
  begin(storagePath: string, fileType: LeasedTask["file_type"], payload: Record<string, unknown> = {}): void {
    Object.assign(this.run, { storage_path: storagePath, file_type: fileType });
    const first = fileType === "shards" ? "quick_pass" : "normalize";
    this.addTask(first, first, payload);
  }

  addTask(kind: LeasedTask["kind"], key: string, payload: Record<string, unknown>): FakeTask {
    const t: FakeTask = {
      id: this.nextId++, run_id: this.run.id, user_id: this.run.user_id, kind, idempotency_key: key, payload,
      checkpoint: null, state: "queued", attempts: 0, max_attempts: 5, lease_owner: null, result: null, error: null,
    };
    this.tasks.push(t);
    return t;
  }

  private task(id: number): FakeTask {
    const t = this.tasks.find((x) => x.id === Number(id));
    if (!t) throw new Error(`no task ${id}`);
    return t;
  }

  private lease(worker: string, limit: number) {
    const out = [];
    for (const t of this.tasks) {
      if (out.length >= limit || t.state !== "queued") continue;
      if (this.tasks.some((b) => (b.state === "queued" || b.state === "running") && PHASE[b.kind] < PHASE[t.kind])) continue;
      Object.assign(t, { state: "running", lease_owner: worker, attempts: t.attempts + 1 });
      out.push({
        id: t.id, run_id: t.run_id, user_id: t.user_id, kind: t.kind, payload: t.payload, checkpoint: t.checkpoint,
        attempts: t.attempts, max_attempts: t.max_attempts, storage_path: this.run.storage_path,
        file_type: this.run.file_type, import_id: this.run.import_id,
      });
    }
    return out;
  }

  private download(r: Recorded): Response {
    const path = decodeURIComponent(r.path.slice("/storage/v1/object/imports/".length));
    const bytes = this.objects.get(path);
    if (!bytes) return jsonResponse(400, { statusCode: "404", error: "not_found", message: "Object not found" });
    const range = /^bytes=(\d+)-$/.exec(r.headers.get("range") ?? "");
    if (range && this.honourRange) {
      const from = Number(range[1]);
      return new Response(bytes.slice(from), {
        status: 206,
        headers: { "Content-Range": `bytes ${from}-${bytes.length - 1}/${bytes.length}`, "Content-Length": String(bytes.length - from) },
      });
    }
    return new Response(bytes.slice(), { status: 200, headers: { "Content-Length": String(bytes.length) } });
  }

  private upload(r: Recorded): Response {
    const path = decodeURIComponent(r.path.slice("/storage/v1/object/imports/".length));
    this.objects.set(path, r.bytes);
    return jsonResponse(200, { Key: `imports/${path}` });
  }
}
