import { ExportError, type ErrorPlace } from "../errors.ts";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8, throwing an `invalid_utf8` {@link ExportError} at the first bad byte. `place.offset`
 * is the offset of `bytes[0]` in its part; the error reports the offset of the bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, place: ErrorPlace = {}): string {
  try {
    return strict.decode(bytes);
  } catch (cause) {
    const bad = findInvalidUtf8(bytes);
    throw new ExportError(
      "invalid_utf8",
      `expected UTF-8 text, found an invalid byte sequence${bad >= 0 ? ` starting 0x${bytes[bad]!.toString(16).padStart(2, "0")}` : ""}`,
      { ...place, offset: (place.offset ?? 0) + Math.max(bad, 0) },
      { cause },
    );
  }
}

/** Index of the first byte that starts an invalid UTF-8 sequence, or -1 when all is valid. */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80), (cp = b & 0x1f);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800), (cp = b & 0x0f);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000), (cp = b & 0x07);
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
