import type { ExportError } from "../errors.ts";
import { resolveLimits, type ExportLimits } from "../limits.ts";
import type { CustomInstructions } from "../model/custom-instructions.ts";
import { ExportParser, type ExportItem } from "./parser.ts";
import type { Source } from "./source.ts";

/** An export to read: a name (the file name) and its bytes as a web stream (e.g. `File.stream()`). */
export interface ExportInput {
  name: string;
  stream: ReadableStream<Uint8Array>;
  /** Total size when known (for progress). */
  size?: number;
}

/** Progress while reading. */
export interface ReadProgress {
  bytesRead: number;
  totalBytes: number | undefined;
  conversations: number;
  failed: number;
}

/** Options of {@link readExport}. */
export interface ReadExportOptions {
  limits?: Partial<ExportLimits>;
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
}

/** What {@link readExport} found besides the conversations themselves. */
export interface ReadResult {
  source: Source;
  customInstructions: CustomInstructions[];
  conversations: number;
  failed: ExportError[];
}

/**
 * Streams an export (ChatGPT ZIP, ChatGPT `conversations.json` or a split part, Claude export) and
 * calls `onItem` for each conversation as soon as it is read — normalized, or failed with its
 * error. Awaits `onItem` when it returns a promise (backpressure). Whole-input problems (not an
 * export, truncated, corrupt, invalid JSON/UTF-8, zip bomb) reject with an `ExportError`.
 */
export async function readExport(
  input: ExportInput,
  onItem: (item: ExportItem) => void | Promise<void>,
  options: ReadExportOptions = {},
): Promise<ReadResult> {
  const queue: ExportItem[] = [];
  const failed: ExportError[] = [];
  let conversations = 0;
  const parser = new ExportParser(input.name, resolveLimits(options.limits), (item) => queue.push(item));
  const drain = async (): Promise<void> => {
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i]!;
      if (item.kind === "conversation") conversations++;
      else failed.push(item.error);
      const r = onItem(item);
      if (r) await r;
    }
    queue.length = 0;
  };
  const reader = input.stream.getReader();
  let bytesRead = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.length;
      parser.push(value);
      await drain();
      options.onProgress?.({ bytesRead, totalBytes: input.size, conversations, failed: failed.length });
    }
    const source = parser.end();
    await drain();
    return { source, customInstructions: await parser.customInstructions.result(), conversations, failed };
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}
