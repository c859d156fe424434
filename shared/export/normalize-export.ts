import type { ExportErrorInfo } from "../errors.ts";
import { CONVERSATION_MODEL_VERSION } from "../model/conversation.ts";
import { MAX_RECORDED_ERRORS, READER_VERSION, SHARD_FORMAT_VERSION, type Manifest } from "../shards/manifest.ts";
import { ShardWriter, type ShardLimits, type ShardSink } from "../shards/shard-writer.ts";
import { readExport, type ExportInput, type ReadExportOptions } from "./read-export.ts";

/** Options of {@link normalizeExport}. */
export interface NormalizeOptions extends ReadExportOptions {
  shards?: Partial<ShardLimits>;
}

/**
 * The whole client-side import step (the browser Web Worker, the CLI and the server-side worker
 * run exactly this): stream-read the export, normalize each conversation, pack gzip NDJSON shards
 * into `sink`, and return the manifest to store beside them as `manifest.json`.
 *
 * Per-conversation failures are counted and listed in the manifest, which then says
 * `complete: false`; whole-input failures reject (and no manifest exists, so nothing partial is
 * ever presented as whole). Same input, same options → byte-identical shards and manifest.
 */
export async function normalizeExport(input: ExportInput, sink: ShardSink, options: NormalizeOptions = {}): Promise<Manifest> {
  const writer = new ShardWriter(sink, options.shards);
  let messages = 0;
  let empty = 0;
  let from: string | null = null;
  let to: string | null = null;
  const errors: ExportErrorInfo[] = [];
  const result = await readExport(
    input,
    (item) => {
      if (item.kind === "failed") {
        if (errors.length < MAX_RECORDED_ERRORS) errors.push(item.error.toJSON());
        return;
      }
      const c = item.conversation;
      if (c.messages.length === 0) {
        empty++;
        return;
      }
      messages += c.messages.length;
      if (from === null || c.createdAt < from) from = c.createdAt;
      const last = c.messages[c.messages.length - 1]!.createdAt;
      const end = c.updatedAt > last ? c.updatedAt : last;
      if (to === null || end > to) to = end;
      return writer.add(c);
    },
    options,
  );
  const shards = await writer.finish();
  const conversations = shards.reduce((n, s) => n + s.conversations, 0);
  return {
    formatVersion: SHARD_FORMAT_VERSION,
    modelVersion: CONVERSATION_MODEL_VERSION,
    readerVersion: READER_VERSION,
    source: result.source,
    complete: result.failed.length === 0,
    counts: {
      conversations,
      messages,
      failed: result.failed.length,
      empty,
      customInstructions: result.customInstructions.length,
      shards: shards.length,
    },
    dateRange: from !== null && to !== null ? { from, to } : null,
    shards,
    customInstructions: result.customInstructions,
    errors,
  };
}
