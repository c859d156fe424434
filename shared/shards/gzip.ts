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
