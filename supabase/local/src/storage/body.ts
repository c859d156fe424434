import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { header } from "../http.ts";
import { stageStream, type StagedBlob } from "./blobs.ts";
import { ERRORS } from "./errors.ts";
import type { BlobLayout } from "./paths.ts";
import { checkMime, type BucketRow } from "./store.ts";

/** Largest object a standard (non-resumable) upload may carry when the bucket sets no limit. */
export const GLOBAL_FILE_SIZE_LIMIT = 50 * 1024 ** 3;

/**
 * Multipart bodies are parsed with the web `Request.formData()`, which holds the file in memory;
 * bigger files must be sent raw or with TUS (hosted recommends TUS above 6 MB anyway).
 */
export const MULTIPART_MEMORY_LIMIT = 1024 ** 3;

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
  if (/^multipart\/form-data/i.test(contentType)) {
    if (declared > Math.min(limit, MULTIPART_MEMORY_LIMIT) + 64 * 1024) throw ERRORS.entityTooLarge();
    const form = await readForm(req, contentType, Math.min(limit, MULTIPART_MEMORY_LIMIT) + 64 * 1024);
    let file: File | undefined;
    for (const [, value] of form.entries()) {
      if (typeof value !== "string") {
        file = value;
        break;
      }
    }
    if (!file) throw ERRORS.noContent();
    const mimetype = file.type || "application/octet-stream";
    checkMime(bucket, mimetype);
    if (file.size > limit) throw ERRORS.entityTooLarge();
    const cache = form.get("cacheControl");
    const meta = form.get("metadata");
    const staged = await stageStream(layout, Readable.fromWeb(file.stream() as never), limit);
    return {
      staged,
      mimetype,
      cacheControl: cacheControlOf(typeof cache === "string" ? cache : null),
      userMetadata: parseUserMetadata(typeof meta === "string" ? meta : null),
    };
  }
  const mimetype = contentType || "application/octet-stream";
  checkMime(bucket, mimetype);
  if (declared > limit) throw ERRORS.entityTooLarge();
  const encodedMeta = header(req, "x-metadata");
  const userMetadata = parseUserMetadata(
    encodedMeta ? Buffer.from(encodedMeta, "base64").toString("utf8") : null,
  );
  const staged = await stageStream(layout, req, limit);
  return { staged, mimetype, cacheControl: header(req, "cache-control") ?? "no-cache", userMetadata };
}

async function readForm(req: IncomingMessage, contentType: string, limit: number): Promise<FormData> {
  let seen = 0;
  const limited = Readable.from(
    (async function* () {
      for await (const chunk of req) {
        seen += (chunk as Buffer).length;
        if (seen > limit) throw ERRORS.entityTooLarge();
        yield chunk as Buffer;
      }
    })(),
  );
  const request = new Request("http://storage.local/upload", {
    method: "POST",
    headers: { "content-type": contentType },
    body: Readable.toWeb(limited) as never,
    duplex: "half",
  } as RequestInit);
  try {
    return await request.formData();
  } catch (error) {
    if (seen > limit) throw ERRORS.entityTooLarge();
    throw ERRORS.invalidParameter(`invalid multipart body: ${(error as Error).message}`);
  }
}
