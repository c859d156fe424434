import type { ExportError } from "../errors.ts";
import { readExport, type ReadExportOptions, type ReadResult } from "../export/read-export.ts";
import type { Conversation } from "../model/conversation.ts";
import { streamOf } from "./streams.ts";

/** Everything {@link readExport} produced for some bytes (for tests). */
export interface Collected extends ReadResult {
  items: Conversation[];
  errors: ExportError[];
}

/** Reads an export held in memory, chunked, and collects every item. */
export async function collectExport(name: string, bytes: Uint8Array, chunkSize = 64 * 1024, options: ReadExportOptions = {}): Promise<Collected> {
  const items: Conversation[] = [];
  const errors: ExportError[] = [];
  const result = await readExport({ name, stream: streamOf(bytes, chunkSize) }, (item) => {
    if (item.kind === "conversation") items.push(item.conversation);
    else errors.push(item.error);
  }, options);
  return { ...result, items, errors };
}
