import { randomUUID } from "node:crypto";
import type pg from "pg";
import { applyClaims, transaction, type RequestClaims } from "../db.ts";
import { placeBlob, removeBlobs } from "./blobs.ts";
import { ERRORS, fromPgError } from "./errors.ts";
import type { BlobLayout } from "./paths.ts";

/** The `storage.buckets` columns uploads and reads need. */
export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: string | null;
  allowed_mime_types: string[] | null;
}

/** `storage.objects.metadata` as hosted Storage writes it. */
export interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

/** One object row as routes return it. */
export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: ObjectMetadata | null;
  user_metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  last_accessed_at: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `owner` uuid column only takes uuid subs; `owner_id` keeps any sub as text. */
export function ownerColumns(sub: string | undefined): [string | null, string | null] {
  if (!sub) return [null, null];
  return [UUID_RE.test(sub) ? sub : null, sub];
}

/** Finds a bucket as superuser (hosted does the same before uploads); NoSuchBucket otherwise. */
export async function findBucket(pool: pg.Pool, id: string): Promise<BucketRow> {
  const { rows } = await pool.query<BucketRow>(
    "select id, name, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1",
    [id],
  );
  const bucket = rows[0];
  if (!bucket) throw ERRORS.noSuchBucket();
  return bucket;
}

/** True when `mimetype` matches one of the bucket's allowed types (`type/*` allowed). */
export function mimeAllowed(mimetype: string, allowed: string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true;
  const base = (mimetype.split(";")[0] ?? "").trim().toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.endsWith("/*") ? base.startsWith(p.slice(0, -1)) : base === p;
  });
}

/** Throws InvalidMimeType unless the bucket accepts `mimetype`. */
export function checkMime(bucket: BucketRow, mimetype: string): void {
  if (!mimeAllowed(mimetype, bucket.allowed_mime_types)) throw ERRORS.invalidMimeType(mimetype);
}

/**
 * Runs `fn` as the caller (role + request settings) in a transaction that is always rolled
 * back: the permission test hosted Storage performs before accepting any bytes.
 */
export async function asCallerRolledBack(
  pool: pg.Pool,
  claims: RequestClaims,
  fn: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await applyClaims(client, claims);
    await fn(client);
  } catch (error) {
    throw fromPgError(error);
  } finally {
    await client.query("rollback").catch(() => {});
    client.release();
  }
}

/** What an upload is about to create. */
export interface ObjectTarget {
  bucketId: string;
  name: string;
  /** The caller's `sub`, recorded as owner. */
  owner?: string;
  /** Insert-or-update (`x-upsert`, PUT) instead of insert. */
  upsert: boolean;
}

const INSERT_SQL = `insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
  values ($1, $2, $3, $4, $5, $6, $7)`;
const UPSERT_SQL = `${INSERT_SQL}
  on conflict (bucket_id, name) do update set owner = excluded.owner, owner_id = excluded.owner_id,
    metadata = excluded.metadata, user_metadata = excluded.user_metadata, version = excluded.version,
    updated_at = now(), last_accessed_at = now()`;

/**
 * The upload permission test: writes the row as the caller (INSERT, or INSERT … ON CONFLICT DO
 * UPDATE for upserts, which needs INSERT, UPDATE and SELECT policies) and rolls back.
 * Throws AccessDenied (RLS) or Duplicate (row exists, no upsert).
 */
export async function checkCanUpload(pool: pg.Pool, claims: RequestClaims, target: ObjectTarget): Promise<void> {
  const [owner, ownerId] = ownerColumns(target.owner);
  await asCallerRolledBack(pool, claims, async (client) => {
    await client.query(target.upsert ? UPSERT_SQL : INSERT_SQL, [
      target.bucketId,
      target.name,
      owner,
      ownerId,
      null,
      null,
      randomUUID(),
    ]);
  });
}

/**
 * Makes staged bytes an object, atomically: in one superuser transaction the row is written
 * (owner = caller), the staged file is renamed into place, then the transaction commits. Any
 * failure rolls back and deletes the bytes, so a failed upload leaves no row and no file. A
 * replaced version's file is removed after the commit.
 */
export async function commitObject(
  pool: pg.Pool,
  layout: BlobLayout,
  target: ObjectTarget,
  staged: { file: string; metadata: ObjectMetadata; userMetadata?: Record<string, unknown> | null },
): Promise<{ id: string; version: string }> {
  const version = randomUUID();
  const destination = layout.blobPath(target.bucketId, version);
  const [owner, ownerId] = ownerColumns(target.owner);
  let placed = false;
  let previous: string | null = null;
  let id: string;
  try {
    id = await transaction(pool, async (client) => {
      // Writers of one name go one at a time, so an upsert sees (and later deletes) the version
      // it replaces even when that row was being inserted concurrently; else its file is orphaned.
      await client.query("select pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", [
        target.bucketId,
        target.name,
      ]);
      if (target.upsert) {
        const old = await client.query<{ version: string | null }>(
          "select version from storage.objects where bucket_id = $1 and name = $2 for update",
          [target.bucketId, target.name],
        );
        previous = old.rows[0]?.version ?? null;
      }
      const { rows } = await client.query<{ id: string }>(
        `${target.upsert ? UPSERT_SQL : INSERT_SQL} returning id`,
        [
          target.bucketId,
          target.name,
          owner,
          ownerId,
          JSON.stringify(staged.metadata),
          staged.userMetadata ? JSON.stringify(staged.userMetadata) : null,
          version,
        ],
      );
      const inserted = rows[0]?.id;
      if (!inserted) throw new Error("insert into storage.objects returned no id");
      await placeBlob(staged.file, destination);
      placed = true;
      return inserted;
    });
  } catch (error) {
    await removeBlobs([placed ? destination : staged.file]);
    throw fromPgError(error);
  }
  // Committed: the object is the new file now. Failing to delete the old one only leaves garbage.
  const replaced = previous === null ? undefined : blobOf(layout, target.bucketId, previous);
  if (replaced) await removeBlobs([replaced]).catch(() => {});
  return { id, version };
}

/** The blob file of a row's version, or undefined for rows without bytes we manage. */
export function blobOf(layout: BlobLayout, bucketId: string, version: string | null): string | undefined {
  if (!version || !UUID_RE.test(version)) return undefined;
  return layout.blobPath(bucketId, version.toLowerCase());
}

/** Builds the metadata object hosted Storage stores for an upload. */
export function objectMetadata(input: {
  md5: string;
  size: number;
  mimetype: string;
  cacheControl: string;
}): ObjectMetadata {
  return {
    eTag: `"${input.md5}"`,
    size: input.size,
    mimetype: input.mimetype,
    cacheControl: input.cacheControl,
    lastModified: new Date().toISOString(),
    contentLength: input.size,
    httpStatusCode: 200,
  };
}
