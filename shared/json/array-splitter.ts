import { ExportError } from "../errors.ts";

/** Receives one complete element of the top-level array; the bytes are valid only during the call. */
export type ElementHandler = (bytes: Uint8Array, index: number, offset: number) => void;
/** Told about an element over the size cap (its bytes were dropped while scanning). */
export type OversizedHandler = (index: number, offset: number, size: number) => void;

/** Options of {@link JsonArraySplitter}. */
export interface JsonArraySplitterOptions {
  /** Name of the part being read (for error messages). */
  part: string;
  /** Elements larger than this many bytes are not buffered: {@link OversizedHandler} is called instead. */
  maxElementBytes: number;
  onElement: ElementHandler;
  onOversized: OversizedHandler;
  /**
   * Start mid-array, right after element `index − 1`, whose end is at byte `offset` of the part
   * (a {@link JsonArraySplitter.checkpoint} of an earlier run): the input then begins at that byte.
   */
  resumeAt?: ResumePoint;
}

/** A place between two elements of the top-level array: the byte offset and the next index. */
export interface ResumePoint {
  offset: number;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const BEFORE_ARRAY = 0;
const BEFORE_ELEMENT = 1; // after '[' (a ']' may close an empty array) or after ','
const IN_CONTAINER = 2;
const IN_SCALAR = 3;
const AFTER_ELEMENT = 4;
const DONE = 5;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Streams a JSON document whose top level is an array and hands out each element's raw bytes,
 * without building objects: a tight byte loop tracks nesting depth, strings and escapes, so
 * `JSON.parse` (native, fast) runs on one element at a time. Element bytes that span chunks are
 * kept in one growable buffer; elements over `maxElementBytes` are scanned but not kept.
 *
 * Structure errors between elements (a missing comma, trailing data, a non-array top level) and
 * an early end throw {@link ExportError}s with the byte offset; errors inside an element are left to
 * `JSON.parse` of that element.
 */
export class JsonArraySplitter {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  private pos = 0;
  /** Absolute offset of buf[0] in the part. */
  private base = 0;
  private state = BEFORE_ARRAY;
  private elemStart = 0;
  private depth = 0;
  private inString = false;
  private skipping = false;
  private sawComma = false;
  private index = 0;
  private bomChecked = false;
  private readonly opts: JsonArraySplitterOptions;

  private lastEnd: ResumePoint | null = null;

  constructor(options: JsonArraySplitterOptions) {
    this.opts = options;
    if (options.resumeAt) {
      this.state = AFTER_ELEMENT;
      this.base = options.resumeAt.offset;
      this.index = options.resumeAt.index;
      this.bomChecked = true;
      this.lastEnd = { ...options.resumeAt };
    }
  }

  /** Where to resume after the last complete element (null before the first one ends). */
  get checkpoint(): ResumePoint | null {
    return this.lastEnd;
  }

  /** Whether the closing bracket of the array was seen. */
  get done(): boolean {
    return this.state === DONE;
  }

  /** Number of elements seen so far (including oversized ones). */
  get count(): number {
    return this.index;
  }

  /** Bytes consumed so far. */
  get bytesSeen(): number {
    return this.base + this.len;
  }

  /** Feeds the next bytes. Calls the handlers synchronously for every element completed. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.compact();
    this.append(chunk);
    this.scan();
    if (this.inElement() && !this.skipping && this.len - this.elemStart > this.opts.maxElementBytes) {
      this.skipping = true;
    }
  }

  /** Declares the end of input; throws when the array is not complete. */
  end(): void {
    if (this.state === DONE) return;
    const offset = this.base + Math.min(this.pos, this.len);
    if (this.state === BEFORE_ARRAY) {
      throw new ExportError("truncated", "expected a JSON array, found no data", { part: this.opts.part, offset });
    }
    throw new ExportError(
      "truncated",
      `expected the JSON array to continue, but the input ended after ${this.index} complete conversation(s)`,
      { part: this.opts.part, offset, index: this.index },
    );
  }

  private inElement(): boolean {
    return this.state === IN_CONTAINER || this.state === IN_SCALAR;
  }

  private compact(): void {
    const scanned = Math.min(this.pos, this.len);
    const keep = this.inElement() && !this.skipping ? this.elemStart : scanned;
    if (keep === 0) return;
    this.buf.copyWithin(0, keep, this.len);
    this.len -= keep;
    this.pos -= keep;
    this.elemStart -= keep;
    this.base += keep;
  }

  private append(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
  }

  private fail(message: string, at: number): never {
    throw new ExportError("invalid_json", message, { part: this.opts.part, offset: this.base + at, index: this.index });
  }

  private scan(): void {
    const buf = this.buf;
    const len = this.len;
    const view = buf.subarray(0, len);
    let i = this.pos;
    while (i < len) {
      switch (this.state) {
        case IN_CONTAINER: {
          let depth = this.depth;
          let inString = this.inString;
          while (i < len) {
            if (inString) {
              i = stringEnd(view, i, len);
              if (i > len) break; // ends escaped: the next chunk's first byte is skipped
              if (i === len) break;
              inString = false;
              i++;
              continue;
            }
            const c = buf[i]!;
            i++;
            if (c === QUOTE) inString = true;
            else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
            else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
              if (--depth === 0) break;
            }
          }
          this.depth = depth;
          this.inString = inString;
          if (depth === 0 && !inString && i <= len) this.finishElement(i);
          break;
        }
        case IN_SCALAR: {
          if (this.inString) {
            while (i < len) {
              const c = buf[i]!;
              i++;
              if (c === QUOTE) {
                this.inString = false;
                break;
              }
              if (c === BACKSLASH) i++;
            }
            if (!this.inString && i <= len) this.finishElement(i);
          } else {
            while (i < len) {
              const c = buf[i]!;
              if (c === COMMA || c === CLOSE_BRACKET || isSpace(c)) break;
              i++;
            }
            if (i < len) this.finishElement(i);
          }
          break;
        }
        case BEFORE_ARRAY: {
          if (!this.bomChecked) {
            if (len - i < 3 && buf[i] === 0xef) return this.keepPos(i);
            this.bomChecked = true;
            if (buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) i += 3;
            continue;
          }
          const c = buf[i]!;
          if (isSpace(c)) i++;
          else if (c === OPEN_BRACKET) {
            i++;
            this.state = BEFORE_ELEMENT;
          } else if (c === OPEN_BRACE) {
            throw new ExportError(
              "wrong_shape",
              "expected a JSON array of conversations, found a JSON object",
              { part: this.opts.part, offset: this.base + i },
            );
          } else this.fail(`expected '[' to start the array of conversations, found ${describeByte(c)}`, i);
          break;
        }
        case BEFORE_ELEMENT: {
          const c = buf[i]!;
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === CLOSE_BRACKET) {
            if (this.sawComma) this.fail("expected a value after ',', found ']'", i);
            i++;
            this.state = DONE;
            break;
          }
          if (c === COMMA) this.fail("expected a value, found ','", i);
          this.elemStart = i;
          this.skipping = false;
          if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            this.state = IN_CONTAINER;
            this.depth = 1;
            this.inString = false;
          } else {
            this.state = IN_SCALAR;
            this.inString = c === QUOTE;
          }
          i++;
          break;
        }
        case AFTER_ELEMENT: {
          const c = buf[i]!;
          i++;
          if (isSpace(c)) break;
          if (c === COMMA) {
            this.sawComma = true;
            this.state = BEFORE_ELEMENT;
          } else if (c === CLOSE_BRACKET) this.state = DONE;
          else this.fail(`expected ',' or ']' after conversation #${this.index - 1}, found ${describeByte(c)}`, i - 1);
          break;
        }
        case DONE: {
          const c = buf[i]!;
          if (!isSpace(c)) this.fail(`expected the end of input after the array, found ${describeByte(c)}`, i);
          i++;
          break;
        }
      }
    }
    this.pos = i;
  }

  private keepPos(i: number): void {
    this.pos = i;
  }

  private finishElement(end: number): void {
    const size = end - this.elemStart;
    const offset = this.base + this.elemStart;
    const index = this.index++;
    this.state = AFTER_ELEMENT;
    this.sawComma = false;
    this.lastEnd = { offset: this.base + end, index: this.index };
    if (this.skipping || size > this.opts.maxElementBytes) {
      this.skipping = false;
      this.opts.onOversized(index, offset, size);
      return;
    }
    this.opts.onElement(this.buf.subarray(this.elemStart, end), index, offset);
  }
}

function describeByte(c: number): string {
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, "0")}`;
}

/**
 * Inside a string starting at `i` (not an escaped position): the index of the closing quote, or
 * `len` when the string goes on past the data, or `len + 1` when the data ends with an escaping
 * backslash. Uses the native `indexOf` to jump between quotes — long message texts dominate exports.
 */
function stringEnd(view: Uint8Array, i: number, len: number): number {
  for (;;) {
    const q = view.indexOf(QUOTE, i);
    if (q < 0) {
      let k = len - 1;
      while (k >= i && view[k] === BACKSLASH) k--;
      return (len - 1 - k) % 2 === 1 ? len + 1 : len;
    }
    let k = q - 1;
    while (k >= i && view[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    i = q + 1;
  }
}
