import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import * as tus from "tus-js-client";
import { Upload, type UploadOptions, type UrlStorage } from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackInfo } from "./clients.ts";
import { mintedUser, objectRows, ownFolderBucket, storageUser, type StorageUser } from "./storage-fixtures.ts";

/** tus-js-client's Node URL store (exported at runtime, missing from its type declarations). */
const FileUrlStorage = (tus as unknown as { FileUrlStorage: new (file: string) => UrlStorage & { path: string } })
  .FileUrlStorage;

const MB = 1024 * 1024;
/** The chunk size Supabase's docs prescribe for resumable uploads. */
const CHUNK = 6 * MB;

let workDir: string;
beforeAll(async () => {
  workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "engram-tus-"));
});
afterAll(async () => {
  await fsp.rm(workDir, { recursive: true, force: true });
});

/**
 * Writes `size` deterministic pseudo-random bytes (xorshift32 from `seed`) to a temp file, 1 MB
 * at a time, and returns its path and sha256 — the file is never held in memory whole.
 */
async function deterministicFile(size: number, seed: number): Promise<{ file: string; sha256: string }> {
  const file = path.join(workDir, `${seed}-${size}.bin`);
  const hash = createHash("sha256");
  const out = fs.createWriteStream(file);
  let x = seed >>> 0 || 1;
  for (let written = 0; written < size; written += MB) {
    const block = Buffer.alloc(Math.min(MB, size - written));
    for (let i = 0; i + 4 <= block.length; i += 4) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      block.writeUInt32LE(x, i);
    }
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { file, sha256: hash.digest("hex") };
}

/** tus-js-client options as the Supabase docs write them. */
function tusOptions(user: StorageUser, bucketName: string, objectName: string, extra: Partial<UploadOptions> = {}): UploadOptions {
  return {
    endpoint: `${stackInfo().url}/storage/v1/upload/resumable`,
    retryDelays: [0, 200, 500],
    uploadDataDuringCreation: true,
    removeFingerprintOnSuccess: true,
    metadata: { bucketName, objectName, contentType: "application/octet-stream", cacheControl: "3600" },
    chunkSize: CHUNK,
    ...extra,
    headers: { authorization: `Bearer ${user.jwt}`, apikey: stackInfo().anonKey, ...(extra.headers ?? {}) },
  };
}

/** Runs an upload to its end; resolves with it, rejects with tus-js-client's error. */
function run(upload: Upload): Promise<Upload> {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = () => resolve(upload);
    upload.options.onError = (error) => reject(error);
    upload.start();
  });
}

/** sha256 of an object, streamed from storage-js `download().asStream()`. */
async function downloadedSha256(user: StorageUser, bucket: string, key: string): Promise<{ sha256: string; size: number }> {
  const { data, error } = await user.client.storage.from(bucket).download(key).asStream();
  if (error) throw error;
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of Readable.fromWeb(data as never)) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest("hex"), size };
}

const tusDir = () => path.join(stackInfo().stateDir, "storage", "#tus");
const bucketFiles = async (bucket: string) =>
  await fsp.readdir(path.join(stackInfo().stateDir, "storage", bucket)).catch(() => []);

describe("TUS resumable uploads", () => {
  it("a TUS upload in 6 MB chunks is stored as an object with the same bytes and metadata", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const { file, sha256 } = await deterministicFile(13 * MB + 123, 1);
    const key = `${user.id}/exports/export 1.bin`;
    let expires: string | null = null;
    const upload = await run(
      new Upload(fs.createReadStream(file), {
        ...tusOptions(user, bucket, key),
        metadata: { bucketName: bucket, objectName: key, contentType: "application/zip", cacheControl: "60", metadata: JSON.stringify({ importId: "i1" }) },
        onAfterResponse: (_req, res) => {
          expires ??= res.getHeader("Upload-Expires") ?? null;
        },
      }),
    );
    // The upload URL comes back through the gateway.
    expect(upload.url).toMatch(new RegExp(`^${stackInfo().url}/storage/v1/upload/resumable/[0-9a-f-]{36}$`));
    expect(expires).not.toBeNull();
    expect(await downloadedSha256(user, bucket, key)).toEqual({ sha256, size: 13 * MB + 123 });
    const info = await user.client.storage.from(bucket).info(key);
    expect(info.data).toMatchObject({ contentType: "application/zip", cacheControl: "max-age=60", size: 13 * MB + 123, metadata: { importId: "i1" } });
    expect(await objectRows(bucket)).toEqual([{ name: key, owner: user.id, version: expect.any(String) }]);
    // Nothing of the upload stays in the TUS store once it is an object.
    const id = upload.url!.split("/").pop()!;
    expect((await fsp.readdir(tusDir())).filter((f) => f.startsWith(id))).toEqual([]);
  });

  it("an interrupted TUS upload resumes from the server's offset instead of starting over", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const size = 30 * MB;
    const { file, sha256 } = await deterministicFile(size, 2);
    const key = `${user.id}/resume.bin`;
    const urlStorage = new FileUrlStorage(path.join(workDir, `urls-${randomUUID()}.json`));
    await fsp.writeFile(urlStorage.path, "{}");

    // First attempt: the connection is dropped in the middle of the second chunk.
    const first = new Upload(fs.createReadStream(file), { ...tusOptions(user, bucket, key), urlStorage });
    await new Promise<void>((resolve, reject) => {
      first.options.onError = reject;
      first.options.onSuccess = () => reject(new Error("the first attempt should not finish"));
      first.options.onProgress = (sent) => {
        if (sent >= 9 * MB) {
          first.options.onProgress = null;
          void first.abort().then(resolve, reject);
        }
      };
      first.start();
    });
    expect(await objectRows(bucket)).toEqual([]);

    // Second attempt: same file, same fingerprint → finds the stored URL and continues.
    const second = new Upload(fs.createReadStream(file), { ...tusOptions(user, bucket, key), urlStorage });
    const previous = await second.findPreviousUploads();
    expect(previous).toHaveLength(1);
    expect(previous[0]!.uploadUrl).toBe(first.url);
    second.resumeFromPreviousUpload(previous[0]!);
    let resumedAt = -1;
    let resent = 0;
    second.options.onChunkComplete = (chunkSize, accepted) => {
      if (resumedAt < 0) resumedAt = accepted - chunkSize;
      resent += chunkSize;
    };
    await run(second);
    expect(second.url).toBe(first.url);
    expect(resumedAt).toBeGreaterThanOrEqual(CHUNK);
    expect(resent).toBe(size - resumedAt);
    expect(resent).toBeLessThan(size);
    expect(await downloadedSha256(user, bucket, key)).toEqual({ sha256, size });
  });

  it("a 100 MB file uploads resumably from disk and downloads with the same sha256", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const size = 100 * MB;
    const { file, sha256 } = await deterministicFile(size, 3);
    const key = `${user.id}/big/100mb.bin`;
    const started = performance.now();
    await run(new Upload(fs.createReadStream(file), tusOptions(user, bucket, key)));
    const uploadMs = performance.now() - started;
    const t = performance.now();
    expect(await downloadedSha256(user, bucket, key)).toEqual({ sha256, size });
    const downloadMs = performance.now() - t;
    console.log(`TUS 100 MB: upload ${(uploadMs / 1000).toFixed(2)} s (${((size / MB) / (uploadMs / 1000)).toFixed(0)} MB/s), download+sha256 ${(downloadMs / 1000).toFixed(2)} s`);
    await fsp.rm(file);
  });

  it("a TUS upload into another user's folder is refused at creation and leaves nothing behind", async () => {
    const bucket = await ownFolderBucket();
    const [alice, mallory] = [await storageUser(), await storageUser()];
    const before = await fsp.readdir(tusDir());
    const error = await run(new Upload(Buffer.alloc(7 * MB, 1), tusOptions(mallory, bucket, `${alice.id}/evil.bin`))).then(
      () => undefined,
      (e: { originalResponse?: { getStatus(): number; getBody(): string } }) => e,
    );
    expect(error?.originalResponse?.getStatus()).toBe(403);
    expect(error?.originalResponse?.getBody()).toBe("new row violates row-level security policy");
    expect(await objectRows(bucket)).toEqual([]);
    expect(await bucketFiles(bucket)).toEqual([]);
    expect(await fsp.readdir(tusDir())).toEqual(before);
  });

  it("a TUS upload over the bucket's size limit or of a refused mime type fails at creation", async () => {
    const bucket = await ownFolderBucket({ fileSizeLimit: 5 * MB, allowedMimeTypes: ["application/octet-stream"] });
    const user = await storageUser();
    const tooBig = await run(new Upload(Buffer.alloc(6 * MB), tusOptions(user, bucket, `${user.id}/big.bin`))).catch(
      (e: { originalResponse?: { getStatus(): number } }) => e,
    );
    expect((tooBig as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus()).toBe(413);
    const wrongType = await run(
      new Upload(Buffer.alloc(10), {
        ...tusOptions(user, bucket, `${user.id}/a.txt`),
        metadata: { bucketName: bucket, objectName: `${user.id}/a.txt`, contentType: "text/plain" },
      }),
    ).catch((e: { originalResponse?: { getStatus(): number } }) => e);
    expect((wrongType as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus()).toBe(415);
    // Without a declared length the limit is enforced on the bytes themselves.
    const deferred = await run(
      new Upload(Readable.from([Buffer.alloc(4 * MB), Buffer.alloc(4 * MB)]), {
        ...tusOptions(user, bucket, `${user.id}/stream.bin`),
        uploadLengthDeferred: true,
      }),
    ).catch((e: { originalResponse?: { getStatus(): number } }) => e);
    expect((deferred as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus()).toBe(413);
    expect(await objectRows(bucket)).toEqual([]);
  });

  it("a TUS upload over an existing object needs x-upsert: 409 without, replaced with", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const key = `${user.id}/same.bin`;
    await run(new Upload(Buffer.from("first"), tusOptions(user, bucket, key)));
    const dup = await run(new Upload(Buffer.from("second"), tusOptions(user, bucket, key))).catch(
      (e: { originalResponse?: { getStatus(): number } }) => e,
    );
    expect((dup as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus()).toBe(409);
    await run(new Upload(Buffer.from("third"), tusOptions(user, bucket, key, { headers: { "x-upsert": "true" } })));
    expect(await (await user.client.storage.from(bucket).download(key)).data!.text()).toBe("third");
    expect(await bucketFiles(bucket)).toHaveLength(1);
  });

  it("terminating an unfinished TUS upload deletes its bytes", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const upload = new Upload(Buffer.alloc(14 * MB, 7), tusOptions(user, bucket, `${user.id}/cancelled.bin`));
    await new Promise<void>((resolve, reject) => {
      upload.options.onError = reject;
      upload.options.onChunkComplete = () => {
        upload.options.onChunkComplete = null;
        void upload.abort(true).then(resolve, reject);
      };
      upload.start();
    });
    const id = upload.url!.split("/").pop()!;
    expect((await fsp.readdir(tusDir())).filter((f) => f.startsWith(id))).toEqual([]);
    expect(await objectRows(bucket)).toEqual([]);
  });

  it("an expired unfinished TUS upload is gone (410) and the client starts a new one", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const size = 8 * MB;
    const bytes = Buffer.alloc(size, 9);
    const key = `${user.id}/late.bin`;
    const first = new Upload(bytes, tusOptions(user, bucket, key));
    await new Promise<void>((resolve, reject) => {
      first.options.onError = reject;
      first.options.onChunkComplete = () => {
        first.options.onChunkComplete = null;
        void first.abort().then(resolve, reject);
      };
      first.start();
    });
    // Age the unfinished upload past the 24 h expiration (no clock to advance: edit its record).
    const id = first.url!.split("/").pop()!;
    const record = path.join(tusDir(), `${id}.json`);
    const info = JSON.parse(await fsp.readFile(record, "utf8")) as { creation_date: string };
    info.creation_date = new Date(Date.now() - 25 * 60 * 60 * 1000).toISOString();
    await fsp.writeFile(record, JSON.stringify(info));

    let resent = 0;
    const statuses: number[] = [];
    const second = new Upload(bytes, {
      ...tusOptions(user, bucket, key),
      uploadUrl: first.url,
      onChunkComplete: (chunk) => void (resent += chunk),
      onAfterResponse: (_req, res) => void statuses.push(res.getStatus()),
    });
    await run(second);
    expect(statuses[0]).toBe(410);
    expect(second.url).not.toBe(first.url);
    expect(resent).toBe(size);
    expect((await user.client.storage.from(bucket).download(key)).data!.size).toBe(size);
  });

  it("an empty file uploads through TUS as an empty object", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    await run(new Upload(Buffer.alloc(0), tusOptions(user, bucket, `${user.id}/empty.bin`)));
    const { data, error } = await user.client.storage.from(bucket).download(`${user.id}/empty.bin`);
    expect(error).toBeNull();
    expect(data!.size).toBe(0);
  });

  it("a TUS upload with an expired token is refused", async () => {
    const bucket = await ownFolderBucket();
    const user = await mintedUser(-5);
    const error = await run(new Upload(Buffer.from("x"), tusOptions(user, bucket, `${user.id}/x.bin`))).catch(
      (e: { originalResponse?: { getStatus(): number; getBody(): string } }) => e,
    );
    const response = (error as { originalResponse?: { getStatus(): number; getBody(): string } }).originalResponse;
    expect(response?.getStatus()).toBe(400);
    expect(JSON.parse(response!.getBody())).toMatchObject({ statusCode: "400", message: "jwt expired" });
  });
});
