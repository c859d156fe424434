import { FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import { normalizeExport } from "../../../shared/export/normalize-export.ts";
import type { Manifest } from "../../../shared/shards/manifest.ts";
import type { ShardFile } from "../../../shared/shards/shard-writer.ts";
import { generateExportBytes } from "../../../shared/testing/generate-export.ts";
import { sql, type TestUser } from "../../local/test/clients.ts";

/** A synthetic ChatGPT conversations.json (deterministic per seed). */
export function syntheticExport(conversations: number, seed = 7): Uint8Array {
  return generateExportBytes({ conversations, seed });
}

/** Normalizes an export into shards exactly as the web app does (shared/normalizeExport). */
export async function toShards(bytes: Uint8Array, perShard: number): Promise<{ files: ShardFile[]; manifest: Manifest }> {
  const files: ShardFile[] = [];
  const manifest = await normalizeExport(
    { name: "conversations.json", stream: new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size: bytes.length },
    (f) => void files.push(f),
    { shards: { maxShardConversations: perShard } },
  );
  return { files, manifest };
}

/** Uploads shards + manifest.json to `imports/<uid>/<importId>/` with the user's own client. */
export async function uploadShards(user: TestUser, shards: { files: ShardFile[]; manifest: Manifest }): Promise<{ importId: string; folder: string }> {
  const importId = randomUUID();
  const folder = `${user.id}/${importId}/`;
  const bucket = user.client.storage.from("imports");
  for (const f of shards.files) {
    const { error } = await bucket.upload(`${folder}${f.name}`, f.bytes, { contentType: "application/gzip", upsert: true });
    if (error) throw new Error(`upload ${f.name}: ${error.message}`);
  }
  const { error } = await bucket.upload(`${folder}manifest.json`, JSON.stringify(shards.manifest), {
    contentType: "application/json",
    upsert: true,
  });
  if (error) throw new Error(`upload manifest.json: ${error.message}`);
  return { importId, folder };
}

/** A function call's status and JSON body (errors unwrapped from FunctionsHttpError). */
export interface Invoked {
  status: number;
  body: any;
  headers: Headers | null;
}

/** Calls an Edge Function with supabase-js and returns status + body for success and failure alike. */
export async function invoke(client: SupabaseClient, name: string, body?: unknown, headers?: Record<string, string>): Promise<Invoked> {
  const { data, error, response } = await client.functions.invoke(name, {
    ...(body === undefined ? {} : { body: body as Record<string, unknown> }),
    ...(headers ? { headers } : {}),
  });
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
  if (error) throw error;
  return { status: response?.status ?? 200, body: data, headers: response?.headers ?? null };
}

/** Calls `get_import_status()` as the user. */
export async function importStatus(user: TestUser): Promise<Record<string, any>> {
  const { data, error } = await user.client.rpc("get_import_status");
  if (error) throw new Error(`get_import_status: ${error.message}`);
  return data as Record<string, any>;
}

/**
 * Waits until `check()` returns a value (not undefined), polling the database state every 150 ms
 * (the state lives in Postgres; there is no event for "the worker finished") up to a deadline.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

/** Waits for the user's import to settle (full pass complete or failed, or the import failed) and returns the status. */
export function waitForSettled(user: TestUser, timeoutMs = 180_000): Promise<Record<string, any>> {
  return waitFor("the full pass to settle", async () => {
    const s = await importStatus(user);
    return s.full_pass_status === "complete" || s.full_pass_status === "failed" || s.import_status === "failed" ? s : undefined;
  }, timeoutMs);
}

/** A fault-injection row (see supabase/functions/import-worker/faults.ts). */
export interface Fault {
  task_kind: "normalize" | "quick_pass" | "shard" | "finalize";
  action: "fail" | "fail_permanent" | "kill" | "delay" | "lease";
  shard_index?: number | null;
  after_items?: number;
  delay_ms?: number;
  lease_seconds?: number;
  message?: string;
  final?: boolean;
  times?: number | null;
}

/** Inserts fault rows for `userId` (as the superuser, like the e2e test would). */
export async function addFaults(userId: string, faults: Fault[]): Promise<void> {
  const db = await sql();
  try {
    for (const f of faults) {
      await db.query(
        `insert into engram_private.fault_injections
           (user_id, task_kind, action, shard_index, after_items, delay_ms, lease_seconds, message, final, times)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [userId, f.task_kind, f.action, f.shard_index ?? null, f.after_items ?? 0, f.delay_ms ?? null,
          f.lease_seconds ?? null, f.message ?? null, f.final ?? false, f.times === undefined ? 1 : f.times],
      );
    }
  } finally {
    await db.end();
  }
}

/** Rows of the user's chunks as (conversation_id, chunk_index, content_hash), sorted. */
export async function chunkFingerprint(userId: string): Promise<{ rows: string[]; duplicates: number }> {
  const db = await sql();
  try {
    const r = await db.query(
      `select conversation_id, chunk_index, content_hash from public.conversation_chunks where user_id = $1
       order by conversation_id, chunk_index`,
      [userId],
    );
    const d = await db.query(
      `select count(*)::int as n from (select 1 from public.conversation_chunks where user_id = $1
       group by conversation_id, chunk_index having count(*) > 1) x`,
      [userId],
    );
    return { rows: r.rows.map((x) => `${x.conversation_id}#${x.chunk_index}:${x.content_hash}`), duplicates: d.rows[0].n };
  } finally {
    await db.end();
  }
}

/** The user's tasks (kind, key, state, attempts) from the private schema. */
export async function tasksOf(userId: string): Promise<{ id: number; kind: string; idempotency_key: string; state: string; attempts: number; started_at: Date | null; finished_at: Date | null }[]> {
  const db = await sql();
  try {
    const r = await db.query(
      `select id, kind, idempotency_key, state, attempts, started_at, finished_at from engram_private.import_tasks
       where user_id = $1 order by id`,
      [userId],
    );
    return r.rows;
  } finally {
    await db.end();
  }
}
