import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { openAsBlob } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { normalizeExport } from "../../shared/export/normalize-export.ts";
import type { Command } from "./command.ts";
import { formatBytes, parseSize, printError } from "./format.ts";

/**
 * `normalize <export file> --out <dir>`: the browser's import step (the same normalizeExport over
 * a Blob stream, as a Web Worker does with a File), writing shards and manifest.json to a folder.
 */
export const command: Command = {
  usage: "normalize <export file> --out <dir> [--shard-bytes 4MB] [--shard-conversations 1000] [--gzip portable|native]",
  summary: "stream-read a ChatGPT/Claude export (ZIP or JSON) into gzip NDJSON shards + manifest.json",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: "string" }, "shard-bytes": { type: "string" }, "shard-conversations": { type: "string" }, gzip: { type: "string" } },
    });
    const file = positionals[0];
    if (!file || !values.out) {
      console.error(`usage: npm run engram -- ${this.usage}`);
      return 2;
    }
    const out = values.out;
    if (values.gzip !== undefined && values.gzip !== "portable" && values.gzip !== "native") {
      console.error(`expected --gzip portable or native, found ${values.gzip}`);
      return 2;
    }
    const size = (await stat(file)).size;
    await mkdir(out, { recursive: true });
    for (const f of await readdir(out)) {
      if (/^shard-\d{5}\.ndjson\.gz$/.test(f) || f === "manifest.json") await rm(path.join(out, f));
    }
    const started = performance.now();
    let lastReport = started;
    let shardBytes = 0;
    try {
      const manifest = await normalizeExport(
        { name: path.basename(file), stream: (await openAsBlob(file)).stream() as ReadableStream<Uint8Array>, size },
        async (shard) => {
          shardBytes += shard.bytes.length;
          await writeFile(path.join(out, shard.name), shard.bytes);
        },
        {
          shards: {
            ...(values["shard-bytes"] ? { maxShardBytes: parseSize(values["shard-bytes"]) } : {}),
            ...(values["shard-conversations"] ? { maxShardConversations: Number(values["shard-conversations"]) } : {}),
            ...(values.gzip ? { gzip: values.gzip } : {}),
          },
          onProgress: (p) => {
            const now = performance.now();
            if (now - lastReport < 1000) return;
            lastReport = now;
            const pct = p.totalBytes ? ` ${((100 * p.bytesRead) / p.totalBytes).toFixed(1)}%` : "";
            process.stderr.write(`  read ${formatBytes(p.bytesRead)}${pct}, ${p.conversations} conversations, ${p.failed} failed\n`);
          },
        },
      );
      await writeFile(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
      const seconds = (performance.now() - started) / 1000;
      const c = manifest.counts;
      console.log(`${manifest.source.type} ${manifest.source.name} (${formatBytes(size)}; parts: ${manifest.source.parts.join(", ")})`);
      console.log(`conversations ${c.conversations}, messages ${c.messages}, empty ${c.empty}, failed ${c.failed}, custom instructions ${c.customInstructions}`);
      console.log(`shards ${c.shards} (${formatBytes(shardBytes)}, ${(shardBytes / size).toFixed(3)} of the input) → ${out}`);
      console.log(`time ${seconds.toFixed(2)} s (${formatBytes(size / seconds)}/s)`);
      if (manifest.dateRange) console.log(`dates ${manifest.dateRange.from} … ${manifest.dateRange.to}`);
      if (!manifest.complete) {
        console.log(`INCOMPLETE: ${c.failed} conversation(s) could not be read:`);
        for (const e of manifest.errors.slice(0, 10)) console.log(`  [${e.code}] ${e.message}`);
      }
      return 0;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
