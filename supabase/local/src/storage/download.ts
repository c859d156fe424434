import fs from "node:fs";
import fsp from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { header } from "../http.ts";
import type { StorageCall } from "./context.ts";
import { ERRORS } from "./errors.ts";
import { blobOf, type ObjectRow } from "./store.ts";

/** Parses a single `bytes=a-b` range against `size`; undefined for none, throws for bad ones. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!value || size === 0) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === "" && match[2] === "")) throw ERRORS.invalidRange();
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) throw ERRORS.invalidRange();
  return { start, end };
}

/**
 * Sends an object's bytes with the headers hosted Storage sets (type, length, cache-control,
 * eTag, last-modified), honouring `Range` and `?download[=name]`. HEAD sends headers only.
 */
export async function sendObject(call: StorageCall, row: ObjectRow): Promise<void> {
  const file = blobOf(call.layout, row.bucket_id, row.version);
  const stat = file ? await fsp.stat(file).catch(() => undefined) : undefined;
  if (!file || !stat) throw ERRORS.noSuchKey();
  const size = stat.size;
  const range = parseRange(header(call.req, "range"), size);
  const meta = row.metadata;
  const headers: Record<string, string | number> = {
    "Content-Type": meta?.mimetype ?? "application/octet-stream",
    "Cache-Control": meta?.cacheControl ?? "no-cache",
    "Accept-Ranges": "bytes",
    "Last-Modified": new Date(meta?.lastModified ?? row.updated_at).toUTCString(),
  };
  if (meta?.eTag) headers.ETag = meta.eTag;
  const download = call.url.searchParams.get("download");
  if (download !== null) {
    const name = download || row.name.split("/").pop() || "download";
    headers["Content-Disposition"] = `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
  }
  if (range) {
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["Content-Length"] = range.end - range.start + 1;
  } else {
    headers["Content-Length"] = size;
  }
  call.res.writeHead(range ? 206 : 200, headers);
  if (call.req.method === "HEAD") {
    call.res.end();
    return;
  }
  await pipeline(fs.createReadStream(file, range ?? {}), call.res);
}
