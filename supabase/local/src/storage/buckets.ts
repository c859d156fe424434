import fsp from "node:fs/promises";
import { withClaims } from "../db.ts";
import { readJson, sendJson } from "../http.ts";
import { removeBlobs } from "./blobs.ts";
import { authorize, type StorageCall } from "./context.ts";
import { ERRORS } from "./errors.ts";
import { checkBucketId } from "./paths.ts";
import { blobOf, ownerColumns } from "./store.ts";

const BUCKET_COLUMNS = `id, name, owner, owner_id, public, file_size_limit::float8 as file_size_limit,
  allowed_mime_types, created_at, updated_at, 'STANDARD' as type`;

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** `20MB` / `300KB` / `3B` / a byte count → bytes; null/undefined clear the limit. */
export function parseFileSizeLimit(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(value) : null;
  if (!match) {
    throw ERRORS.invalidParameter("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
  }
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "b").toLowerCase()] ?? 1));
}

function mimeTypes(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !/^[\w.+-]+\/[\w.+*-]+$/.test(v))) {
    throw ERRORS.invalidParameter("allowed_mime_types must be an array of type/subtype strings");
  }
  return value as string[];
}

async function asCaller<T>(call: StorageCall, operation: Parameters<typeof authorize>[1], fn: (client: import("pg").PoolClient, sub: string | undefined) => Promise<T>): Promise<T> {
  const { caller, claims } = await authorize(call, operation);
  return await withClaims(call.pool, claims, (client) => fn(client, caller.sub));
}

/** `GET /bucket` (limit, offset, search, sortColumn, sortOrder), as the caller sees them. */
export async function listBuckets(call: StorageCall): Promise<void> {
  const q = call.url.searchParams;
  const column = ["id", "name", "created_at", "updated_at"].includes(q.get("sortColumn") ?? "") ? q.get("sortColumn") : "name";
  const order = q.get("sortOrder")?.toLowerCase() === "desc" ? "desc" : "asc";
  const limit = q.has("limit") ? Math.max(0, Number(q.get("limit")) || 0) : null;
  const offset = Math.max(0, Number(q.get("offset")) || 0);
  const rows = await asCaller(call, "storage.bucket.list", async (client) =>
    (
      await client.query(
        `select ${BUCKET_COLUMNS} from storage.buckets where ($1::text is null or name ilike '%' || $1 || '%')
         order by ${column} ${order} limit $2 offset $3`,
        [q.get("search"), limit, offset],
      )
    ).rows,
  );
  sendJson(call.res, 200, rows);
}

/** `GET /bucket/<id>`. */
export async function getBucket(call: StorageCall, id: string): Promise<void> {
  const rows = await asCaller(call, "storage.bucket.get", async (client) =>
    (await client.query(`select ${BUCKET_COLUMNS} from storage.buckets where id = $1`, [id])).rows,
  );
  if (!rows[0]) throw ERRORS.noSuchBucket();
  sendJson(call.res, 200, rows[0]);
}

/** `POST /bucket` `{id, name, public, file_size_limit, allowed_mime_types}` → `{name}`. */
export async function createBucket(call: StorageCall): Promise<void> {
  const body = ((await readJson(call.req)) ?? {}) as Record<string, unknown>;
  const id = checkBucketId(String(body.id ?? body.name ?? ""));
  const limit = parseFileSizeLimit(body.file_size_limit);
  const types = mimeTypes(body.allowed_mime_types);
  await asCaller(call, "storage.bucket.create", async (client, sub) => {
    const [owner, ownerId] = ownerColumns(sub);
    await client.query(
      `insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
       values ($1, $1, $2, $3, $4, $5, $6)`,
      [id, owner, ownerId, body.public === true, limit, types],
    );
  });
  sendJson(call.res, 200, { name: id });
}

/** `PUT /bucket/<id>`: changes only the fields present in the body. */
export async function updateBucket(call: StorageCall, id: string): Promise<void> {
  const body = ((await readJson(call.req)) ?? {}) as Record<string, unknown>;
  const sets: string[] = [];
  const values: unknown[] = [id];
  if (typeof body.public === "boolean") sets.push(`public = $${values.push(body.public)}`);
  if ("file_size_limit" in body) sets.push(`file_size_limit = $${values.push(parseFileSizeLimit(body.file_size_limit))}`);
  if ("allowed_mime_types" in body) sets.push(`allowed_mime_types = $${values.push(mimeTypes(body.allowed_mime_types))}`);
  sets.push("updated_at = now()");
  const count = await asCaller(call, "storage.bucket.update", async (client) =>
    (await client.query(`update storage.buckets set ${sets.join(", ")} where id = $1`, values)).rowCount,
  );
  if (!count) throw ERRORS.noSuchBucket();
  sendJson(call.res, 200, { message: "Successfully updated" });
}

/** `DELETE /bucket/<id>`: only an empty bucket. */
export async function deleteBucket(call: StorageCall, id: string): Promise<void> {
  // Emptiness is a fact about the bucket, not about what the caller may see.
  const objects = await call.pool.query("select 1 from storage.objects where bucket_id = $1 limit 1", [id]);
  if (objects.rowCount) throw ERRORS.bucketNotEmpty();
  const count = await asCaller(call, "storage.bucket.delete", async (client) =>
    (await client.query("delete from storage.buckets where id = $1", [id])).rowCount,
  );
  if (!count) throw ERRORS.noSuchBucket();
  await fsp.rm(call.layout.bucketDir(id), { recursive: true, force: true });
  sendJson(call.res, 200, { message: "Successfully deleted" });
}

/** `POST /bucket/<id>/empty`: deletes every object the caller may delete. */
export async function emptyBucket(call: StorageCall, id: string): Promise<void> {
  const rows = await asCaller(call, "storage.bucket.empty", async (client) => {
    const bucket = await client.query("select 1 from storage.buckets where id = $1", [id]);
    if (!bucket.rowCount) throw ERRORS.noSuchBucket();
    return (
      await client.query<{ version: string | null }>(
        "delete from storage.objects where bucket_id = $1 returning version",
        [id],
      )
    ).rows;
  });
  await removeBlobs(rows.map((r) => blobOf(call.layout, id, r.version)).filter((f) => f !== undefined));
  sendJson(call.res, 200, { message: "Successfully emptied" });
}
