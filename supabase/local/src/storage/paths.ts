import path from "node:path";
import { ERRORS } from "./errors.ts";

/**
 * Object keys hosted Storage accepts: letters, digits and marks of any script plus
 * `_ / ! - . * ' ( ) space & $ @ = ; : + , ?`. No control characters, no `..`/`.` segments.
 */
const KEY_RE = /^[\p{L}\p{N}\p{M}_/!\-.*'() &$@=;:+,?]+$/u;

/** Bucket ids hosted Storage accepts (same set without `/`), at most 100 characters. */
const BUCKET_RE = /^[\p{L}\p{N}_!\-.*'() &$@=;:+,?]+$/u;

/** Decodes one percent-encoded path; malformed escapes are an invalid key. */
export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ERRORS.invalidKey(raw);
  }
}

/** Drops leading, trailing and doubled slashes, as storage-js does before uploading. */
export function normalizeKey(key: string): string {
  return key.replace(/\/+/g, "/").replace(/^\/|\/$/g, "");
}

/** Throws InvalidKey unless `key` is a usable object name. Returns it for chaining. */
export function checkKey(key: string): string {
  if (
    key.length === 0 ||
    key.length > 1024 ||
    !KEY_RE.test(key) ||
    key.split("/").some((segment) => segment === "." || segment === "..")
  ) {
    throw ERRORS.invalidKey(key);
  }
  return key;
}

/** Throws InvalidBucketName unless `id` is a usable bucket id. Returns it for chaining. */
export function checkBucketId(id: string): string {
  if (id.length === 0 || id.length > 100 || id === "." || id === ".." || !BUCKET_RE.test(id)) {
    throw ERRORS.invalidBucketName();
  }
  return id;
}

/**
 * Where bytes live: `<stateDir>/storage/<bucket>/<version>`. The version is a UUID this server
 * generated and the bucket id passed {@link checkBucketId} (and is percent-encoded on disk), so no
 * client-chosen string ever becomes a path component.
 */
export class BlobLayout {
  readonly root: string;
  /** Finished-upload staging (same filesystem, so `rename` is atomic). */
  readonly tmpDir: string;
  /** @tus/file-store's directory for unfinished resumable uploads. */
  readonly tusDir: string;

  constructor(stateDir: string) {
    this.root = path.join(stateDir, "storage");
    // `#` never appears in an encoded bucket id, so these cannot collide with a bucket folder.
    this.tmpDir = path.join(this.root, "#tmp");
    this.tusDir = path.join(this.root, "#tus");
  }

  bucketDir(bucketId: string): string {
    return path.join(this.root, encodeURIComponent(checkBucketId(bucketId)));
  }

  blobPath(bucketId: string, version: string): string {
    if (!/^[0-9a-f-]{36}$/.test(version)) throw new TypeError(`expected a UUID version, got "${version}"`);
    return path.join(this.bucketDir(bucketId), version);
  }
}
