import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ERRORS } from "./errors.ts";
import type { BlobLayout } from "./paths.ts";

/** Bytes received into a staging file, not yet visible to anyone. */
export interface StagedBlob {
  /** Absolute path of the staging file. */
  file: string;
  size: number;
  /** Hex MD5 of the bytes (hosted Storage's eTag for single-part uploads). */
  md5: string;
}

/**
 * Streams `source` into a fresh staging file, hashing as it goes and refusing more than `limit`
 * bytes (EntityTooLarge). The file is fsynced; on any failure it is deleted.
 */
export async function stageStream(
  layout: BlobLayout,
  source: Readable | AsyncIterable<Uint8Array>,
  limit: number,
): Promise<StagedBlob> {
  await fsp.mkdir(layout.tmpDir, { recursive: true });
  const file = path.join(layout.tmpDir, randomUUID());
  const hash = createHash("md5");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) {
        callback(ERRORS.entityTooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const out = fs.createWriteStream(file, { flags: "wx" });
  try {
    await pipeline(source, meter, out);
    await fsyncFile(file);
  } catch (error) {
    await fsp.rm(file, { force: true });
    throw error;
  }
  return { file, size, md5: hash.digest("hex") };
}

/** Flushes a file's data to disk so a rename after a DB commit never exposes a torn file. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** MD5 and size of a file already on disk (finished resumable uploads). */
export async function hashFile(file: string): Promise<{ md5: string; size: number }> {
  const hash = createHash("md5");
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { md5: hash.digest("hex"), size };
}

/** Moves a staged file to its final place (atomic on one filesystem). */
export async function placeBlob(staged: string, target: string): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  await fsp.rename(staged, target);
}

/** Deletes blobs, ignoring ones already gone. */
export async function removeBlobs(files: string[]): Promise<void> {
  await Promise.all(files.map((file) => fsp.rm(file, { force: true })));
}

/** Copies a blob to a new staging file (for `copy`). */
export async function stageCopy(layout: BlobLayout, source: string): Promise<string> {
  await fsp.mkdir(layout.tmpDir, { recursive: true });
  const file = path.join(layout.tmpDir, randomUUID());
  await fsp.copyFile(source, file);
  return file;
}
