import type { Manifest } from "../shards/manifest.ts";
import { ShardWriter, type ShardLimits, type ShardSink } from "../shards/shard-writer.ts";
import { readExport, type ExportInput, type ReadExportOptions } from "./read-export.ts";
import { manifestOf, SummaryBuilder } from "./summary.ts";

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
  const summary = new SummaryBuilder();
  const result = await readExport(
    input,
    (item) => {
      if (item.kind === "failed") summary.fail(item.error);
      else if (summary.keep(item.conversation)) return writer.add(item.conversation);
    },
    options,
  );
  return manifestOf(result.source, [summary.finish(await writer.finish(), result.customInstructions)]);
}
