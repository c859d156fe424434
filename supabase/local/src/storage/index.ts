import fsp from "node:fs/promises";
import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";
import { createBucket, deleteBucket, emptyBucket, getBucket, listBuckets, updateBucket } from "./buckets.ts";
import type { StorageCall } from "./context.ts";
import { ERRORS, fromPgError, sendStorageError, StorageError } from "./errors.ts";
import { listObjects } from "./list.ts";
import { copyObject, downloadObject, moveObject, objectInfo, removeObject, removeObjects } from "./objects.ts";
import { BlobLayout, decodePath } from "./paths.ts";
import { discardBody } from "./request-body.ts";
import { downloadSigned, signObject, signObjects, signUpload, uploadSigned } from "./signed.ts";
import { TusEndpoint } from "./tus.ts";
import { uploadObject } from "./upload.ts";

/** `<bucket>/<rest>` of a decoded path; `rest` may be empty. */
function splitBucket(path: string): [string, string] {
  const slash = path.indexOf("/");
  return slash < 0 ? [path, ""] : [path.slice(0, slash), path.slice(slash + 1)];
}

/** Routes one `/storage/v1/object/…` request (path after `/object/`, decoded). */
async function routeObject(call: StorageCall, method: string, rest: string): Promise<void> {
  const [first, tail] = splitBucket(rest);
  const read = method === "GET" || method === "HEAD";
  if (method === "POST" && first === "list") return listObjects(call, tail);
  if (method === "POST" && rest === "move") return moveObject(call);
  if (method === "POST" && rest === "copy") return copyObject(call);
  if (first === "info" && read) {
    const [access, after] = splitBucket(tail);
    if (access === "public" || access === "authenticated") {
      const [bucket, key] = splitBucket(after);
      return objectInfo(call, bucket, key, access);
    }
    const [bucket, key] = splitBucket(tail);
    return objectInfo(call, bucket, key, "authenticated");
  }
  if (first === "sign") {
    const [bucket, key] = splitBucket(tail);
    if (method === "POST") return key === "" ? signObjects(call, bucket) : signObject(call, bucket, key);
    if (read) return downloadSigned(call, bucket, key);
  }
  if (first === "upload" && tail.startsWith("sign/")) {
    const [bucket, key] = splitBucket(tail.slice("sign/".length));
    if (method === "POST") return signUpload(call, bucket, key);
    if (method === "PUT") return uploadSigned(call, bucket, key);
  }
  if (read && (first === "public" || first === "authenticated")) {
    const [bucket, key] = splitBucket(tail);
    return downloadObject(call, bucket, key, first);
  }
  if (read) return downloadObject(call, first, tail, "authenticated");
  if (method === "POST" || method === "PUT") return uploadObject(call, first, tail);
  if (method === "DELETE") return tail === "" ? removeObjects(call, first) : removeObject(call, first, tail);
  throw ERRORS.notFoundRoute(method, `/object/${rest}`);
}

async function routeBucket(call: StorageCall, method: string, rest: string): Promise<void> {
  if (rest === "") {
    if (method === "GET") return listBuckets(call);
    if (method === "POST") return createBucket(call);
  } else {
    const [id, tail] = splitBucket(rest);
    if (tail === "empty" && method === "POST") return emptyBucket(call, id);
    if (tail === "") {
      if (method === "GET") return getBucket(call, id);
      if (method === "PUT") return updateBucket(call, id);
      if (method === "DELETE") return deleteBucket(call, id);
    }
  }
  throw ERRORS.notFoundRoute(method, `/bucket/${rest}`);
}

/**
 * `/storage/v1` as storage-js and tus-js-client use it: objects, buckets, signed URLs and TUS
 * resumable uploads, every read and write decided by the project's policies on
 * `storage.objects`, bytes under `<stateDir>/storage/`.
 */
export function createStorageSurface(ctx: SurfaceContext): Surface {
  const layout = new BlobLayout(ctx.cfg.stateDir);
  const tus = new TusEndpoint({ cfg: ctx.cfg, pool: ctx.pool, layout, log: ctx.log });
  return {
    prefix: "/storage/v1",
    async start() {
      // Staging files of requests that died with a previous run are garbage.
      await fsp.rm(layout.tmpDir, { recursive: true, force: true });
      await fsp.mkdir(layout.tmpDir, { recursive: true });
      await tus.start();
    },
    async stop() {
      tus.stop();
    },
    async handle({ req, res, path, url }) {
      const call: StorageCall = { req, res, url, path, cfg: ctx.cfg, pool: ctx.pool, layout };
      const method = req.method ?? "GET";
      try {
        if (path === "/upload/resumable" || path.startsWith("/upload/resumable/")) {
          await tus.handle(call);
          return;
        }
        if (path === "/version" || path === "/status") {
          sendJson(res, 200, path === "/version" ? "local" : { status: "ok" });
          return;
        }
        const decoded = decodePath(path).replace(/^\/+/, "");
        if (decoded.startsWith("object/")) return await routeObject(call, method, decoded.slice("object/".length));
        if (decoded === "bucket" || decoded.startsWith("bucket/")) {
          return await routeBucket(call, method, decoded.slice("bucket".length).replace(/^\//, "").replace(/\/$/, ""));
        }
        throw ERRORS.notFoundRoute(method, path);
      } catch (error) {
        const mapped = fromPgError(error);
        // The client went away mid-request: staging was cleaned up already, nobody to answer.
        if (req.destroyed && !(mapped instanceof StorageError)) return;
        if (res.headersSent) {
          res.destroy(error as Error);
          return;
        }
        if (mapped instanceof StorageError) {
          // Answer first, then read away what the client is still sending so it sees the answer.
          res.once("finish", () => void discardBody(req));
          sendStorageError(res, mapped, method === "HEAD");
          return;
        }
        if (error instanceof SyntaxError) {
          sendStorageError(res, ERRORS.invalidParameter(`invalid JSON body: ${error.message}`), method === "HEAD");
          return;
        }
        throw error;
      }
    },
  };
}
