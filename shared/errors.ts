/**
 * Typed errors of the export library. Every error says what was expected, what was found and
 * where (the part of the export — a ZIP entry or shard name — plus a byte offset or item index).
 */

/** What went wrong, by meaning. */
export type ExportErrorCode =
  | "unsupported_input" // neither a ZIP nor a JSON array
  | "no_conversations" // a ZIP without conversations.json
  | "missing_part" // export_manifest.json names a part the ZIP lacks
  | "truncated" // input ended early (ZIP or JSON)
  | "corrupt_zip" // ZIP structure or deflate data is broken
  | "zip_bomb" // compression ratio or inflated size over the caps
  | "invalid_json" // not valid JSON
  | "invalid_utf8" // bytes that are not UTF-8
  | "wrong_shape" // valid JSON that is not an export of a known kind
  | "too_large" // one conversation/message over the size cap
  | "missing_current_node" // current_node absent or not in mapping
  | "broken_thread" // the parent chain loops or points to a missing node
  | "corrupt_shard" // shard bytes do not match the manifest or schema
  | "invalid_manifest"; // manifest.json does not match its schema

/** Where in the input an error happened. */
export interface ErrorPlace {
  /** The part of the input: ZIP entry name, file name or shard name. */
  part?: string;
  /** Byte offset inside that part (decompressed bytes for ZIP entries). */
  offset?: number;
  /** Index of the conversation in its part's top-level array. */
  index?: number;
}

/** The one error type thrown (or recorded per item) by the export library. */
export class ExportError extends Error {
  override readonly name = "ExportError";
  readonly code: ExportErrorCode;
  readonly part: string | undefined;
  readonly offset: number | undefined;
  readonly index: number | undefined;

  constructor(code: ExportErrorCode, message: string, place: ErrorPlace = {}, options?: { cause?: unknown }) {
    super(withPlace(message, place), options);
    this.code = code;
    this.part = place.part;
    this.offset = place.offset;
    this.index = place.index;
  }

  /** A plain, JSON-safe description (for manifests and logs). */
  toJSON(): ExportErrorInfo {
    const info: ExportErrorInfo = { code: this.code, message: this.message };
    if (this.part !== undefined) info.part = this.part;
    if (this.index !== undefined) info.index = this.index;
    if (this.offset !== undefined) info.offset = this.offset;
    return info;
  }
}

/** JSON form of an {@link ExportError}. */
export interface ExportErrorInfo {
  code: ExportErrorCode;
  message: string;
  part?: string;
  index?: number;
  offset?: number;
}

function withPlace(message: string, place: ErrorPlace): string {
  const where: string[] = [];
  if (place.part !== undefined) where.push(place.part);
  if (place.index !== undefined) where.push(`conversation #${place.index}`);
  if (place.offset !== undefined) where.push(`byte ${place.offset}`);
  return where.length > 0 ? `${message} (at ${where.join(", ")})` : message;
}

/** Whether `e` is an {@link ExportError} (works across module copies, unlike instanceof alone). */
export function isExportError(e: unknown): e is ExportError {
  return e instanceof ExportError || (e instanceof Error && e.name === "ExportError" && "code" in e);
}
