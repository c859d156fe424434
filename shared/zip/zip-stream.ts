import { Inflate, Unzip, type UnzipDecoderConstructor, type UnzipFile } from "fflate";
import { ExportError, isExportError } from "../errors.ts";
import type { ExportLimits } from "../limits.ts";
import { EndRecordTracker } from "./end-record.ts";

/** Receives the inflated bytes of one ZIP entry we chose to read. */
export interface ZipEntrySink {
  data(chunk: Uint8Array): void;
  end(): void;
}

/** Decides per entry: a sink to read it, or null to skip it without inflating. */
export type ZipEntryChooser = (name: string, declaredSize: number | undefined) => ZipEntrySink | null;

/** Options of {@link ZipStream}. */
export interface ZipStreamOptions {
  /** Name of the ZIP (for error messages). */
  part: string;
  limits: Pick<ExportLimits, "maxEntryBytes" | "maxTotalBytes" | "maxCompressionRatio">;
  onEntry: ZipEntryChooser;
}

/** Compressed bytes handed to the inflater at once: bounds one inflate output to ~1032× this. */
const SLICE = 16 * 1024;
const RATIO_FLOOR = 1024 * 1024;
const KNOWN_METHODS = [0, 8];

interface DecoderLike {
  ondata: (err: Error | null, data: Uint8Array, final: boolean) => void;
  push(chunk: Uint8Array, final: boolean): void;
}

/**
 * Streaming ZIP reader over fflate's `Unzip` (isomorphic, no whole-file buffer): entries are found
 * from their local headers as bytes arrive; only chosen entries are inflated, the rest (images,
 * audio, chat.html) are skipped. Guards against zip bombs (per-entry and total inflated size, and
 * the compression ratio) and detects truncation (an entry cut short, or no end-of-central-directory
 * record). Throws {@link ExportError}s; errors thrown by sinks pass through unchanged.
 */
export class ZipStream {
  private readonly unzip: Unzip;
  private readonly opts: ZipStreamOptions;
  private readonly tail = new EndRecordTracker();
  private bytesIn = 0;
  private totalOut = 0;
  private current: { name: string; sink: ZipEntrySink | null } | null = null;
  private entries = 0;
  private readonly registered = new Set<number>(KNOWN_METHODS);

  constructor(options: ZipStreamOptions) {
    this.opts = options;
    this.unzip = new Unzip((file) => this.onFile(file));
    this.unzip.register(this.decoderClass(0));
    this.unzip.register(this.decoderClass(8));
  }

  /** Number of entries seen so far. */
  get entryCount(): number {
    return this.entries;
  }

  /** Feeds the next bytes of the ZIP. */
  push(chunk: Uint8Array): void {
    this.tail.push(chunk);
    for (let o = 0; o < chunk.length; o += SLICE) {
      const slice = chunk.subarray(o, Math.min(o + SLICE, chunk.length));
      this.guard(() => this.unzip.push(slice, false));
      this.bytesIn += slice.length;
    }
  }

  /** Declares the end of the ZIP; throws when it was truncated. */
  end(): void {
    this.guard(() => this.unzip.push(new Uint8Array(0), true), true);
    if (!this.tail.hasEndRecord()) {
      throw new ExportError(
        "truncated",
        "expected the ZIP's end-of-central-directory record, but the input ended without it",
        { part: this.opts.part, offset: this.bytesIn },
      );
    }
    if (this.entries === 0) {
      throw new ExportError("corrupt_zip", "expected ZIP entries, found none", { part: this.opts.part, offset: this.bytesIn });
    }
  }

  private guard(step: () => void, atEnd = false): void {
    try {
      step();
    } catch (e) {
      if (isExportError(e)) throw e;
      const what = this.current ? ` in entry ${this.current.name}` : "";
      const message = e instanceof Error ? e.message : String(e);
      // At the end of input, fflate's complaint is that an entry (or the inflate stream) is unfinished.
      const code = atEnd || /unexpected EOF/i.test(message) ? "truncated" : "corrupt_zip";
      throw new ExportError(code, `expected a valid ZIP${what}, found: ${message}`, { part: this.current?.name ?? this.opts.part, offset: this.bytesIn }, { cause: e });
    }
  }

  private onFile(file: UnzipFile): void {
    this.entries++;
    const declared = file.originalSize;
    const sink = this.opts.onEntry(file.name, declared);
    if (sink && declared !== undefined && declared > this.opts.limits.maxEntryBytes) {
      throw new ExportError(
        "zip_bomb",
        `expected an entry of at most ${this.opts.limits.maxEntryBytes} bytes, found one declaring ${declared}`,
        { part: file.name },
      );
    }
    if (sink && !KNOWN_METHODS.includes(file.compression)) {
      throw new ExportError(
        "corrupt_zip",
        `expected compression method 0 (stored) or 8 (deflate), found ${file.compression}`,
        { part: file.name },
      );
    }
    if (!this.registered.has(file.compression)) {
      this.registered.add(file.compression);
      this.unzip.register(this.decoderClass(file.compression));
    }
    this.current = { name: file.name, sink };
    file.ondata = (err, data, final) => {
      if (err) throw err;
      if (sink && data.length > 0) sink.data(data);
      if (final) {
        sink?.end();
        if (this.current?.sink === sink) this.current = null;
      }
    };
    file.start();
  }

  /** A decoder class for one compression method, bound to this reader's current entry. */
  private decoderClass(method: number): UnzipDecoderConstructor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const reader = this;
    class Decoder implements DecoderLike {
      static compression = method;
      ondata: DecoderLike["ondata"] = () => {};
      private readonly name: string;
      private readonly wanted: boolean;
      private readonly inflate: Inflate | null;
      private inBytes = 0;
      private outBytes = 0;

      constructor(name: string) {
        this.name = name;
        this.wanted = reader.current?.sink != null;
        this.inflate =
          this.wanted && method === 8 ? new Inflate((data, final) => this.emit(data, final)) : null;
      }

      push(chunk: Uint8Array, final: boolean): void {
        this.inBytes += chunk.length;
        if (!this.wanted) {
          if (final) this.ondata(null, new Uint8Array(0), true);
        } else if (this.inflate) this.inflate.push(chunk, final);
        else this.emit(chunk, final);
      }

      private emit(data: Uint8Array, final: boolean): void {
        this.outBytes += data.length;
        reader.totalOut += data.length;
        reader.checkCaps(this.name, this.outBytes, this.inBytes);
        this.ondata(null, data, final);
      }
    }
    return Decoder as unknown as UnzipDecoderConstructor;
  }

  private checkCaps(name: string, out: number, inBytes: number): void {
    const { maxEntryBytes, maxTotalBytes, maxCompressionRatio } = this.opts.limits;
    const place = { part: name, offset: this.bytesIn };
    if (out > maxEntryBytes) {
      throw new ExportError("zip_bomb", `expected an entry of at most ${maxEntryBytes} bytes inflated, found more`, place);
    }
    if (this.totalOut > maxTotalBytes) {
      throw new ExportError("zip_bomb", `expected at most ${maxTotalBytes} inflated bytes in total, found more`, place);
    }
    if (out > RATIO_FLOOR && out / Math.max(inBytes, 1) > maxCompressionRatio) {
      throw new ExportError(
        "zip_bomb",
        `expected a compression ratio of at most ${maxCompressionRatio}:1, found ${Math.round(out / Math.max(inBytes, 1))}:1`,
        place,
      );
    }
  }
}
