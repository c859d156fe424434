import { header, sendJson } from "../http.ts";
import { receiveUpload } from "./body.ts";
import type { StorageCall } from "./context.ts";
import { authorize } from "./context.ts";
import { checkBucketId, checkKey, normalizeKey } from "./paths.ts";
import { checkCanUpload, commitObject, findBucket, objectMetadata, type ObjectTarget } from "./store.ts";

/**
 * Receives the body of `target` and makes it an object: bucket limits, then the bytes into a
 * staging file, then the atomic row + rename (see {@link commitObject}). Answers `{Id, Key}`.
 */
export async function storeUpload(call: StorageCall, target: ObjectTarget): Promise<void> {
  const bucket = await findBucket(call.pool, target.bucketId);
  const received = await receiveUpload(call.req, call.layout, bucket);
  const { id } = await commitObject(call.pool, call.layout, target, {
    file: received.staged.file,
    metadata: objectMetadata({
      md5: received.staged.md5,
      size: received.staged.size,
      mimetype: received.mimetype,
      cacheControl: received.cacheControl,
    }),
    userMetadata: received.userMetadata,
  });
  sendJson(call.res, 200, { Id: id, Key: `${target.bucketId}/${target.name}` });
}

/**
 * `POST /object/<bucket>/<key>` (`x-upsert`) and `PUT …` (always an upsert): hosted Storage's
 * order — bucket, permission test as the caller (rolled back), bytes, then the real write.
 */
export async function uploadObject(call: StorageCall, bucketId: string, rawKey: string): Promise<void> {
  const upsert = call.req.method === "PUT" || header(call.req, "x-upsert") === "true";
  const { caller, claims } = await authorize(
    call,
    upsert ? "storage.object.upload_update" : "storage.object.upload",
  );
  const target: ObjectTarget = {
    bucketId: checkBucketId(bucketId),
    name: checkKey(normalizeKey(rawKey)),
    owner: caller.sub,
    upsert,
  };
  await findBucket(call.pool, target.bucketId);
  await checkCanUpload(call.pool, claims, target);
  await storeUpload(call, target);
}
