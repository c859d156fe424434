import { gunzipSync, gzipSync } from "fflate";

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
