import type { SupabaseClient } from "@supabase/supabase-js";
import { IMPORTS_BUCKET } from "../_shared/storage-path.ts";
import { TaskError } from "./types.ts";

/** The worker's access to the `imports` bucket (service role: paths come from the database only). */
export class ExportStore {
  constructor(
    private readonly client: SupabaseClient,
    private readonly opts: { url: string; key: string; fetch?: typeof fetch },
  ) {}

  /** The whole object. A missing object is permanent (the export is gone); other errors retry. */
  async read(path: string): Promise<Uint8Array> {
    const { data, error } = await this.client.storage.from(IMPORTS_BUCKET).download(path);
    if (error || !data) {
      const status = (error as { statusCode?: string; status?: number } | null)?.statusCode;
      if (status === "404" || /not found/i.test(error?.message ?? "")) {
        throw new TaskError("permanent", `the stored export file ${path} is missing`, { cause: error });
      }
      throw new TaskError("retryable", `reading ${path} failed: ${error?.message ?? "no data"}`, { cause: error });
    }
    return new Uint8Array(await data.arrayBuffer());
  }

  /**
   * A byte stream of the object from `offset` (HTTP Range; when the server ignores Range the
   * skipped prefix is dropped here) and the object's total size when known.
   */
  async readFrom(path: string, offset: number): Promise<{ stream: ReadableStream<Uint8Array>; size: number | null }> {
    const f = this.opts.fetch ?? fetch;
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    const res = await f(`${this.opts.url.replace(/\/$/, "")}/storage/v1/object/${IMPORTS_BUCKET}/${encoded}`, {
      headers: { Authorization: `Bearer ${this.opts.key}`, apikey: this.opts.key, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) },
    });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      if (res.status === 404 || res.status === 400) {
        throw new TaskError("permanent", `the stored export file ${path} is missing`);
      }
      throw new TaskError("retryable", `reading ${path} failed with HTTP ${res.status}`);
    }
    if (res.status === 206) {
      const total = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1];
      return { stream: res.body, size: total ? Number(total) : null };
    }
    const length = res.headers.get("content-length");
    return { stream: offset > 0 ? res.body.pipeThrough(skipBytes(offset)) : res.body, size: length ? Number(length) : null };
  }

  /** Writes (or overwrites) an object: writing the same shard twice is harmless. */
  async write(path: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const { error } = await this.client.storage.from(IMPORTS_BUCKET).upload(path, bytes, {
      upsert: true,
      contentType,
    });
    if (error) throw new TaskError("retryable", `writing ${path} failed: ${error.message}`, { cause: error });
  }
}

/** A transform that drops the first `n` bytes. */
export function skipBytes(n: number): TransformStream<Uint8Array, Uint8Array> {
  let left = n;
  return new TransformStream({
    transform(chunk, controller) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return;
      }
      controller.enqueue(left > 0 ? chunk.subarray(left) : chunk);
      left = 0;
    },
  });
}
