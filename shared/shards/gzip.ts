import { Gzip, gunzipSync, gzipSync } from "fflate";

/**
 * Deterministic gzip: fflate (pure JS) with a zero mtime gives the same bytes in the browser, Deno
 * and Node — native CompressionStream does not (zlib vs. miniz, and OS bytes differ).
 */
export function gzip(data: Uint8Array, level: GzipLevel = 6): Uint8Array {
  return gzipSync(data, { level, mtime: 0 });
}

/** Inflates a gzip member; throws fflate's error on corrupt data. */
export function gunzip(data: Uint8Array): Uint8Array {
  return gunzipSync(data);
}

/** Compression levels fflate accepts. */
export type GzipLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** Input is handed to the compressor in batches of this size (fflate compresses per push). */
const BATCH = 64 * 1024;

/**
 * Streaming deterministic gzip (fflate, zero mtime): many small pushes are batched to 64 KiB, so
 * the same bytes pushed give the same output whatever the push sizes. Compressing in bounded
 * pieces also lets V8 optimize the compressor early instead of running one huge first call cold.
 */
export class GzipStream {
  private readonly gz: Gzip;
  private readonly out: Uint8Array[] = [];
  private size = 0;
  private batch = new Uint8Array(BATCH);
  private fill = 0;

  constructor(level: GzipLevel = 6) {
    this.gz = new Gzip({ level, mtime: 0 }, (data) => {
      this.out.push(data);
      this.size += data.length;
    });
  }

  push(data: Uint8Array): void {
    let o = 0;
    while (o < data.length) {
      const n = Math.min(BATCH - this.fill, data.length - o);
      this.batch.set(data.subarray(o, o + n), this.fill);
      this.fill += n;
      o += n;
      if (this.fill === BATCH) {
        this.gz.push(this.batch, false);
        this.batch = new Uint8Array(BATCH);
        this.fill = 0;
      }
    }
  }

  /** Ends the member and returns the whole gzip file. */
  finish(): Uint8Array {
    this.gz.push(this.batch.subarray(0, this.fill), true);
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.out) {
      all.set(c, o);
      o += c.length;
    }
    return all;
  }
}

/**
 * How shards are compressed:
 * - `portable` (default): fflate in JS — byte-identical shards in the browser, Deno and Node
 *   (what the parity test holds us to);
 * - `native`: the runtime's CompressionStream (zlib/miniz, off the JS thread where the runtime does
 *   that) — ~3× faster, deterministic within one runtime, but other runtimes give other bytes.
 */
export type GzipMode = "portable" | "native";

/** Compresses one shard: lines pushed in, the gzip file out. */
export interface ShardCompressor {
  push(data: Uint8Array): void;
  finish(): Promise<Uint8Array>;
}

/** A compressor for one shard in the given mode. */
export function shardCompressor(mode: GzipMode, level: GzipLevel): ShardCompressor {
  if (mode === "native") return new NativeGzip();
  const gz = new GzipStream(level);
  return { push: (d) => gz.push(d), finish: async () => gz.finish() };
}

class NativeGzip implements ShardCompressor {
  private readonly parts: Uint8Array[] = [];

  push(data: Uint8Array): void {
    this.parts.push(data);
  }

  async finish(): Promise<Uint8Array> {
    const stream = new Blob(this.parts as BlobPart[]).stream().pipeThrough(new CompressionStream("gzip"));
    this.parts.length = 0;
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    const all = new Uint8Array(size);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return all;
  }
}
