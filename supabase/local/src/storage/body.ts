import type { IncomingMessage } from "node:http";
import { header } from "../http.ts";
import { removeBlobs, stageStream, type StagedBlob } from "./blobs.ts";
import { ERRORS } from "./errors.ts";
import { boundaryOf, dispositionOf, readMultipart } from "./multipart.ts";
import type { BlobLayout } from "./paths.ts";
import { bodyChunks } from "./request-body.ts";
import { checkMime, type BucketRow } from "./store.ts";

/** Largest object a standard (non-resumable) upload may carry when the bucket sets no limit. */
export const GLOBAL_FILE_SIZE_LIMIT = 50 * 1024 ** 3;

/** An upload body received into a staging file, with what the request said about it. */
export interface ReceivedUpload {
  staged: StagedBlob;
  mimetype: string;
  /** `max-age=N` or `no-cache`. */
  cacheControl: string;
  userMetadata: Record<string, unknown> | null;
}

/** The byte limit for an upload into `bucket`. */
export function sizeLimit(bucket: BucketRow): number {
  const limit = bucket.file_size_limit === null ? NaN : Number(bucket.file_size_limit);
  return Number.isFinite(limit) && limit > 0 ? Math.min(limit, GLOBAL_FILE_SIZE_LIMIT) : GLOBAL_FILE_SIZE_LIMIT;
}

/** `3600` → `max-age=3600`; anything not a whole number → `no-cache` (hosted's rule). */
export function cacheControlOf(seconds: string | null | undefined): string {
  return seconds && /^-?\d+$/.test(seconds.trim()) ? `max-age=${seconds.trim()}` : "no-cache";
}

function parseUserMetadata(json: string | null | undefined): Record<string, unknown> | null {
  if (!json) return null;
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    throw ERRORS.invalidParameter("metadata must be a JSON object");
  }
}

/**
 * Receives an upload body the way storage-js sends it: multipart FormData (file under any field
 * name, storage-js uses the empty name; `cacheControl` and `metadata` fields) or a raw body with
 * `content-type`, `cache-control` and base64-JSON `x-metadata` headers. Enforces the bucket's size
 * limit and allowed mime types; the bytes land in a staging file only.
 */
export async function receiveUpload(
  req: IncomingMessage,
  layout: BlobLayout,
  bucket: BucketRow,
): Promise<ReceivedUpload> {
  const limit = sizeLimit(bucket);
  const contentType = header(req, "content-type") ?? "";
  const declared = Number(header(req, "content-length") ?? NaN);
  // Multipart framing adds a few hundred bytes; the file part itself is measured exactly.
  if (declared > limit + 64 * 1024) throw ERRORS.entityTooLarge();
  if (/^multipart\/form-data/i.test(contentType)) return await receiveMultipart(req, layout, bucket, contentType);
  const mimetype = contentType || "application/octet-stream";
  checkMime(bucket, mimetype);
  if (declared > limit) throw ERRORS.entityTooLarge();
  const encodedMeta = header(req, "x-metadata");
  const userMetadata = parseUserMetadata(
    encodedMeta ? Buffer.from(encodedMeta, "base64").toString("utf8") : null,
  );
  const staged = await stageStream(layout, bodyChunks(req), limit);
  return { staged, mimetype, cacheControl: header(req, "cache-control") ?? "no-cache", userMetadata };
}

/**
 * A multipart upload, streamed: the first file part goes straight into a staging file (its
 * part content type checked against the bucket first); `cacheControl` and `metadata` fields may
 * come before or after it. No part is held in memory beyond one chunk.
 */
async function receiveMultipart(
  req: IncomingMessage,
  layout: BlobLayout,
  bucket: BucketRow,
  contentType: string,
): Promise<ReceivedUpload> {
  const limit = sizeLimit(bucket);
  const fields: Record<string, string> = {};
  let file: { staged: StagedBlob; mimetype: string } | undefined;
  try {
    await readMultipart(bodyChunks(req), boundaryOf(contentType), async (headers, body) => {
      const { name, filename } = dispositionOf(headers);
      if (filename === undefined) {
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of body) {
          size += chunk.length;
          if (size > 1024 * 1024) throw ERRORS.invalidParameter(`form field ${name} is too large`);
          parts.push(chunk);
        }
        fields[name] = Buffer.concat(parts).toString("utf8");
        return;
      }
      if (file) return; // hosted takes the first file
      const mimetype = headers["content-type"] || "application/octet-stream";
      checkMime(bucket, mimetype);
      file = { staged: await stageStream(layout, body, limit), mimetype };
    });
  } catch (error) {
    if (file) await removeBlobs([file.staged.file]);
    throw error;
  }
  if (!file) throw ERRORS.noContent();
  try {
    return {
      staged: file.staged,
      mimetype: file.mimetype,
      cacheControl: cacheControlOf(fields.cacheControl),
      userMetadata: parseUserMetadata(fields.metadata),
    };
  } catch (error) {
    await removeBlobs([file.staged.file]);
    throw error;
  }
}
