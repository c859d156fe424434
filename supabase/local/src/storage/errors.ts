import type { ServerResponse } from "node:http";
import { sendJson } from "../http.ts";

/**
 * A Storage API error as the hosted server renders it: `{statusCode, code, error, message}` with
 * the logical status in the body and HTTP 400 for every non-500 status (storage-js reads both).
 */
export class StorageError extends Error {
  constructor(
    /** Logical HTTP status, e.g. 404; sent as the body's `statusCode` string. */
    readonly status: number,
    /** Machine code, e.g. `NoSuchKey`. */
    readonly code: string,
    message: string,
    /** Short error label, e.g. `not_found`; defaults to `code`. */
    readonly error: string = code,
  ) {
    super(message);
    this.name = "StorageError";
  }

  /** The JSON body hosted Storage sends. */
  render(): { statusCode: string; code: string; error: string; message: string } {
    return { statusCode: String(this.status), code: this.code, error: this.error, message: this.message };
  }
}

/** The errors the local Storage API raises, named and worded as supabase/storage does. */
export const ERRORS = {
  noSuchKey: () => new StorageError(404, "NoSuchKey", "Object not found", "not_found"),
  noSuchBucket: () => new StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found"),
  noSuchUpload: () => new StorageError(404, "NoSuchUpload", "Upload not found"),
  duplicate: () =>
    new StorageError(409, "ResourceAlreadyExists", "The resource already exists", "Duplicate"),
  bucketNotEmpty: () =>
    new StorageError(409, "ResourceNotEmpty", "The bucket you tried to delete is not empty"),
  accessDenied: (message = "new row violates row-level security policy") =>
    new StorageError(403, "AccessDenied", message, "Unauthorized"),
  invalidJwt: (message = "Invalid JWT") => new StorageError(400, "InvalidJWT", message),
  invalidKey: (key: string) => new StorageError(400, "InvalidKey", `Invalid key: ${key}`),
  invalidBucketName: () =>
    new StorageError(400, "InvalidBucketName", "Bucket name invalid", "Invalid Input"),
  invalidParameter: (message: string) => new StorageError(400, "InvalidParameter", message),
  invalidSignature: (message = "Invalid signature") =>
    new StorageError(400, "InvalidSignature", message),
  expiredSignature: () =>
    new StorageError(400, "ExpiredToken", "The provided token has expired."),
  entityTooLarge: () =>
    new StorageError(
      413,
      "EntityTooLarge",
      "The object exceeded the maximum allowed size",
      "Payload too large",
    ),
  invalidMimeType: (mimeType: string) =>
    new StorageError(415, "InvalidMimeType", `mime type ${mimeType} is not supported`, "invalid_mime_type"),
  noContent: () => new StorageError(400, "InvalidRequest", "No content provided"),
  invalidRange: () => new StorageError(400, "InvalidRange", "invalid range provided", "invalid_range"),
  notFoundRoute: (method: string, path: string) =>
    new StorageError(404, "InvalidRequest", `Route ${method}:${path} not found`, "Not Found"),
  internal: () => new StorageError(500, "InternalError", "Internal server error"),
};

/**
 * Maps a Postgres error (by SQLSTATE) to the Storage error hosted Storage gives for it; other
 * errors are returned unchanged.
 */
export function fromPgError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case "42501":
      return ERRORS.accessDenied();
    case "23505":
      return ERRORS.duplicate();
    case "23503":
      return new StorageError(404, "InvalidRequest", "The related resource does not exist");
    case "57014":
      return new StorageError(544, "DatabaseTimeout", "The connection to the database timed out");
    case "22P02":
    case "22023":
      return ERRORS.invalidParameter((error as Error).message);
    default:
      return error;
  }
}

/** Sends a Storage error: HTTP 400 for every logical status below 500, like hosted Storage. */
export function sendStorageError(res: ServerResponse, error: StorageError, head = false): void {
  const httpStatus = error.status >= 500 ? error.status : 400;
  if (head) {
    res.writeHead(httpStatus).end();
    return;
  }
  sendJson(res, httpStatus, error.render());
}
