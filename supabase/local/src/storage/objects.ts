import fsp from "node:fs/promises";
import { withClaims } from "../db.ts";
import { header, readJson, sendJson } from "../http.ts";
import type { StorageOperation } from "./auth.ts";
import { removeBlobs, stageCopy } from "./blobs.ts";
import { authorize, type StorageCall } from "./context.ts";
import { sendObject } from "./download.ts";
import { ERRORS } from "./errors.ts";
import { checkBucketId, checkKey, normalizeKey } from "./paths.ts";
import {
  blobOf,
  checkCanUpload,
  commitObject,
  findBucket,
  ownerColumns,
  type ObjectRow,
} from "./store.ts";

const OBJECT_COLUMNS = `id, bucket_id, name, owner, owner_id, version, metadata, user_metadata,
  created_at, updated_at, last_accessed_at`;

/** Finds one object as the caller: RLS decides, a hidden row is "not found". */
export async function findVisibleObject(
  call: StorageCall,
  operation: StorageOperation,
  bucketId: string,
  name: string,
): Promise<ObjectRow> {
  const { claims } = await authorize(call, operation);
  const rows = await withClaims(
    call.pool,
    claims,
    async (client) =>
      (
        await client.query<ObjectRow>(
          `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2`,
          [bucketId, name],
        )
      ).rows,
    { readOnly: true },
  );
  const row = rows[0];
  if (!row) throw ERRORS.noSuchKey();
  return row;
}

/** Finds an object of a public bucket without RLS (hosted skips RLS for public reads). */
export async function findPublicObject(call: StorageCall, bucketId: string, name: string): Promise<ObjectRow> {
  const bucket = await findBucket(call.pool, bucketId).catch(() => undefined);
  if (!bucket?.public) throw ERRORS.noSuchKey();
  const { rows } = await call.pool.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2`,
    [bucketId, name],
  );
  if (!rows[0]) throw ERRORS.noSuchKey();
  return rows[0];
}

/** The object a read route names: without RLS in a public bucket, else as the caller. */
async function findReadable(
  call: StorageCall,
  access: "authenticated" | "public",
  operation: StorageOperation,
  target: { bucketId: string; key: string },
): Promise<ObjectRow> {
  const name = normalizeKey(target.key);
  return access === "public"
    ? await findPublicObject(call, target.bucketId, name)
    : await findVisibleObject(call, operation, target.bucketId, name);
}

/** `GET|HEAD /object[/authenticated|/public]/<bucket>/<key>`. */
export async function downloadObject(
  call: StorageCall,
  bucketId: string,
  key: string,
  access: "authenticated" | "public",
): Promise<void> {
  await sendObject(call, await findReadable(call, access, "storage.object.download", { bucketId, key }));
}

/** `GET /object/info[/authenticated|/public]/<bucket>/<key>`: hosted's ObjectInfo shape. */
export async function objectInfo(
  call: StorageCall,
  bucketId: string,
  key: string,
  access: "authenticated" | "public",
): Promise<void> {
  const row = await findReadable(call, access, "storage.object.info", { bucketId, key });
  sendJson(call.res, 200, {
    id: row.id,
    version: row.version,
    name: row.name,
    bucket_id: row.bucket_id,
    size: row.metadata?.size ?? null,
    content_type: row.metadata?.mimetype ?? null,
    cache_control: row.metadata?.cacheControl ?? null,
    etag: row.metadata?.eTag ?? null,
    metadata: row.user_metadata ?? {},
    last_modified: row.updated_at,
    created_at: row.created_at,
  });
}

/**
 * `DELETE /object/<bucket>` `{prefixes}`: deletes as the caller, so rows RLS hides are simply not
 * deleted; answers the deleted rows (maybe `[]`). Bytes go after the commit.
 */
export async function removeObjects(call: StorageCall, bucketId: string): Promise<void> {
  const { claims } = await authorize(call, "storage.object.delete");
  const body = (await readJson(call.req)) as { prefixes?: unknown } | undefined;
  const prefixes = body?.prefixes;
  if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== "string") || prefixes.length > 1000) {
    throw ERRORS.invalidParameter("prefixes must be an array of at most 1000 object names");
  }
  const names = (prefixes as string[]).map(normalizeKey);
  const rows = await deleteAsCaller(call, claims, bucketId, names);
  await removeBlobs(rows.map((r) => blobOf(call.layout, r.bucket_id, r.version)).filter((f) => f !== undefined));
  sendJson(call.res, 200, rows);
}

/** `DELETE /object/<bucket>/<key>`: one object; "not found" when nothing was deleted. */
export async function removeObject(call: StorageCall, bucketId: string, key: string): Promise<void> {
  const { claims } = await authorize(call, "storage.object.delete");
  const rows = await deleteAsCaller(call, claims, bucketId, [normalizeKey(key)]);
  if (rows.length === 0) throw ERRORS.noSuchKey();
  await removeBlobs(rows.map((r) => blobOf(call.layout, r.bucket_id, r.version)).filter((f) => f !== undefined));
  sendJson(call.res, 200, { message: "Successfully deleted" });
}

async function deleteAsCaller(
  call: StorageCall,
  claims: Parameters<typeof withClaims>[1],
  bucketId: string,
  names: string[],
): Promise<ObjectRow[]> {
  if (names.length === 0) return [];
  return await withClaims(call.pool, claims, async (client) => {
    const { rows } = await client.query<ObjectRow>(
      `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
      [bucketId, names],
    );
    return rows;
  });
}

interface TransferBody {
  bucketId?: unknown;
  sourceKey?: unknown;
  destinationKey?: unknown;
  destinationBucket?: unknown;
}

async function transferArgs(call: StorageCall) {
  const body = ((await readJson(call.req)) ?? {}) as TransferBody;
  if (typeof body.bucketId !== "string" || typeof body.sourceKey !== "string" || typeof body.destinationKey !== "string") {
    throw ERRORS.invalidParameter("bucketId, sourceKey and destinationKey are required");
  }
  const bucketId = checkBucketId(body.bucketId);
  const destinationBucket =
    typeof body.destinationBucket === "string" && body.destinationBucket !== ""
      ? checkBucketId(body.destinationBucket)
      : bucketId;
  return {
    bucketId,
    sourceKey: normalizeKey(body.sourceKey),
    destinationBucket,
    destinationKey: checkKey(normalizeKey(body.destinationKey)),
  };
}

/**
 * `POST /object/move`: renames the row as the caller (UPDATE policies see the old and the new
 * row); a move to another bucket also moves the file inside the same transaction.
 */
export async function moveObject(call: StorageCall): Promise<void> {
  const args = await transferArgs(call);
  const { caller, claims } = await authorize(call, "storage.object.move");
  if (args.destinationBucket !== args.bucketId) await findBucket(call.pool, args.destinationBucket);
  const [owner, ownerId] = ownerColumns(caller.sub);
  // A cross-bucket move renames the file before the commit; if the commit fails it goes back.
  let renamed: { from: string; to: string } | undefined;
  try {
    await withClaims(call.pool, claims, async (client) => {
      const { rows } = await client.query<{ version: string | null }>(
        `update storage.objects set bucket_id = $3, name = $4, owner = $5, owner_id = $6,
           updated_at = now(), last_accessed_at = now()
         where bucket_id = $1 and name = $2 returning version`,
        [args.bucketId, args.sourceKey, args.destinationBucket, args.destinationKey, owner, ownerId],
      );
      if (!rows[0]) throw ERRORS.noSuchKey();
      if (args.destinationBucket === args.bucketId) return;
      const from = blobOf(call.layout, args.bucketId, rows[0].version);
      const to = blobOf(call.layout, args.destinationBucket, rows[0].version);
      if (from && to) {
        await fsp.mkdir(call.layout.bucketDir(args.destinationBucket), { recursive: true });
        await fsp.rename(from, to);
        renamed = { from, to };
      }
    });
  } catch (error) {
    if (renamed) await fsp.rename(renamed.to, renamed.from).catch(() => {});
    throw error;
  }
  sendJson(call.res, 200, { message: "Successfully moved" });
}

/**
 * `POST /object/copy`: the caller must see the source (SELECT) and may create the destination
 * (INSERT, or upsert with `x-upsert`); the copy is then written like an upload.
 */
export async function copyObject(call: StorageCall): Promise<void> {
  const args = await transferArgs(call);
  const source = await findVisibleObject(call, "storage.object.copy", args.bucketId, args.sourceKey);
  const { caller, claims } = await authorize(call, "storage.object.copy");
  await findBucket(call.pool, args.destinationBucket);
  const target = {
    bucketId: args.destinationBucket,
    name: args.destinationKey,
    owner: caller.sub,
    upsert: header(call.req, "x-upsert") === "true",
  };
  await checkCanUpload(call.pool, claims, target);
  const file = blobOf(call.layout, source.bucket_id, source.version);
  if (!file || !source.metadata) throw ERRORS.noSuchKey();
  const staged = await stageCopy(call.layout, file).catch(() => {
    throw ERRORS.noSuchKey();
  });
  const { id } = await commitObject(call.pool, call.layout, target, {
    file: staged,
    metadata: { ...source.metadata, lastModified: new Date().toISOString() },
    userMetadata: source.user_metadata,
  });
  sendJson(call.res, 200, { Id: id, Key: `${target.bucketId}/${target.name}` });
}
