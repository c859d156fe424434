import type { SupabaseClient } from "@supabase/supabase-js";
import { Upload } from "tus-js-client";

/** The private bucket every export goes to. */
export const IMPORTS_BUCKET = "imports";

/** Objects above this size go through resumable (TUS) upload; Supabase requires 6 MB chunks. */
export const TUS_CHUNK_BYTES = 6 * 1024 * 1024;

/** One object to store. */
export interface UploadRequest {
  path: string;
  bytes: Uint8Array;
  contentType: string;
  signal?: AbortSignal;
  /** Bytes of this object sent so far. */
  onProgress?: (sent: number) => void;
}

/**
 * Stores one object in the `imports` bucket, replacing an older copy (a half-finished earlier
 * attempt). Small objects are one storage-js request; large ones a resumable TUS upload in 6 MB
 * chunks to `/storage/v1/upload/resumable`, which survives dropped connections.
 */
export async function uploadObject(client: SupabaseClient, supabaseUrl: string, request: UploadRequest): Promise<void> {
  request.signal?.throwIfAborted();
  const blob = new Blob([request.bytes as Uint8Array<ArrayBuffer>], { type: request.contentType });
  if (request.bytes.length <= TUS_CHUNK_BYTES) {
    const { error } = await client.storage.from(IMPORTS_BUCKET).upload(request.path, blob, {
      upsert: true,
      contentType: request.contentType,
    });
    if (error) throw new UploadError(request.path, error.message, statusOf(error));
    request.onProgress?.(request.bytes.length);
    return;
  }
  const { data } = await client.auth.getSession();
  const token = data.session?.access_token;
  if (!token) throw new UploadError(request.path, "you are signed out; sign in again to continue", 401);
  await new Promise<void>((resolve, reject) => {
    const upload = new Upload(blob, {
      endpoint: `${supabaseUrl.replace(/\/$/, "")}/storage/v1/upload/resumable`,
      retryDelays: [0, 1000, 3000, 5000],
      chunkSize: TUS_CHUNK_BYTES,
      uploadDataDuringCreation: true,
      removeFingerprintOnSuccess: true,
      // Resume by object path and size: tus-js-client's default fingerprint of a Blob has no name,
      // so two different shards of equal size would share it.
      fingerprint: async () => `engram-tus:${supabaseUrl}:${IMPORTS_BUCKET}/${request.path}:${request.bytes.length}`,
      headers: { authorization: `Bearer ${token}`, "x-upsert": "true" },
      metadata: { bucketName: IMPORTS_BUCKET, objectName: request.path, contentType: request.contentType, cacheControl: "3600" },
      onProgress: (sent) => request.onProgress?.(sent),
      onSuccess: () => resolve(),
      onError: (error) => {
        const status = (error as { originalResponse?: { getStatus(): number } | null }).originalResponse?.getStatus() ?? null;
        reject(new UploadError(request.path, error.message, status));
      },
    });
    request.signal?.addEventListener("abort", () => {
      void upload.abort();
      reject(request.signal?.reason);
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
}

/** A refused or failed upload of one object. */
export class UploadError extends Error {
  constructor(
    readonly path: string,
    detail: string,
    readonly status: number | null,
  ) {
    super(`Uploading ${path.slice(path.lastIndexOf("/") + 1)} failed: ${detail}`);
    this.name = "UploadError";
  }
}

function statusOf(error: unknown): number | null {
  const raw = (error as { statusCode?: string | number; status?: number }).statusCode ?? (error as { status?: number }).status;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : null;
}
