import { ERRORS } from "./errors.ts";

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

/** One part's headers: lower-cased names. */
export type PartHeaders = Record<string, string>;

/** Pull-based reader over a chunk stream that can search ahead for delimiters. */
class ByteReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value]);
    return true;
  }

  /** Bytes before `delimiter` (consumed too); at most `limit` bytes may precede it. */
  async readUntil(delimiter: Buffer, limit: number): Promise<Buffer> {
    for (;;) {
      const at = this.buffer.indexOf(delimiter);
      if (at >= 0) {
        const head = this.buffer.subarray(0, at);
        this.buffer = this.buffer.subarray(at + delimiter.length);
        return head;
      }
      if (this.buffer.length > limit + delimiter.length) throw ERRORS.invalidParameter("multipart headers too large");
      if (!(await this.fill())) throw ERRORS.invalidParameter("unexpected end of multipart body");
    }
  }

  /** Streams the bytes before `delimiter`, then consumes it; memory stays at about one chunk. */
  async *streamUntil(delimiter: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buffer.indexOf(delimiter);
      if (at >= 0) {
        if (at > 0) yield this.buffer.subarray(0, at);
        this.buffer = this.buffer.subarray(at + delimiter.length);
        return;
      }
      const safe = this.buffer.length - (delimiter.length - 1);
      if (safe > 0) {
        yield this.buffer.subarray(0, safe);
        this.buffer = this.buffer.subarray(safe);
      }
      if (!(await this.fill())) throw ERRORS.invalidParameter("unexpected end of multipart body");
    }
  }

  /** Exactly `n` bytes (fewer at the end of input). */
  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n && (await this.fill()));
    const head = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(head.length);
    return head;
  }
}

/** The boundary of a `multipart/form-data; boundary=…` content type. */
export function boundaryOf(contentType: string): string {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary || boundary.length > 200) throw ERRORS.invalidParameter("multipart body without a boundary");
  return boundary;
}

function parseHeaders(raw: Buffer): PartHeaders {
  const headers: PartHeaders = {};
  for (const line of raw.toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `name` and `filename` of a part's Content-Disposition (a part with a filename is a file). */
export function dispositionOf(headers: PartHeaders): { name: string; filename?: string } {
  const value = headers["content-disposition"] ?? "";
  const name = /(?:^|;)\s*name="((?:[^"\\]|\\.)*)"/i.exec(value)?.[1] ?? "";
  const filename = /(?:^|;)\s*filename="((?:[^"\\]|\\.)*)"/i.exec(value)?.[1];
  return filename === undefined ? { name } : { name, filename };
}

/**
 * Streams a multipart/form-data body part by part (RFC 7578): `onPart` gets each part's headers
 * and its bytes as a stream, and must consume or abandon them; whatever it leaves is skipped.
 * Nothing is buffered beyond one chunk, so file parts of any size pass through.
 */
export async function readMultipart(
  chunks: AsyncIterable<Buffer>,
  boundary: string,
  onPart: (headers: PartHeaders, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const reader = new ByteReader(chunks[Symbol.asyncIterator]());
  const delimiter = Buffer.from(`--${boundary}`);
  await reader.readUntil(delimiter, 64 * 1024); // preamble
  const partEnd = Buffer.concat([CRLF, delimiter]);
  for (;;) {
    const after = await reader.read(2);
    if (after.toString("latin1") === "--") return; // close delimiter; the epilogue is ignored
    if (!after.equals(CRLF)) throw ERRORS.invalidParameter("malformed multipart delimiter");
    const headers = parseHeaders(await reader.readUntil(HEADER_END, MAX_HEADER_BYTES));
    const body = reader.streamUntil(partEnd);
    await onPart(headers, body);
    // Skip whatever the handler did not read.
    for await (const _ of body) void _;
  }
}
