import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { normalizeExport } from "../../shared/export/normalize-export.ts";
import type { ShardFile } from "../../shared/shards/shard-writer.ts";
import { sha256Hex } from "../../shared/util/sha256.ts";
import type { Command } from "./command.ts";
import { formatBytes, printError } from "./format.ts";
import { AUTH_OPTIONS, callFunction, follow, signIn } from "./session.ts";

/** A UUID-shaped id derived from content, so re-running an import resumes the same upload. */
export async function importIdFor(userId: string, manifestJson: string): Promise<string> {
  const h = await sha256Hex(`${userId}\n${manifestJson}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * `import <file>`: what the web app does — normalize locally with shared/ (shards + manifest),
 * upload the shards to `imports/<uid>/<importId>/` skipping those already stored (a re-run
 * resumes), upload manifest.json last, call `import-trigger`, then follow the status.
 */
export const command: Command = {
  usage: "import <export.zip|conversations.json> [--email e --password p] [--signup] [--no-wait]",
  summary: "normalize locally, upload shards (resumable), start the import and follow it (SUPABASE_URL, default the local stack)",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...AUTH_OPTIONS, "no-wait": { type: "boolean" } },
    });
    const file = positionals[0];
    if (!file) {
      console.error(`usage: npm run engram -- ${this.usage}`);
      return 2;
    }
    try {
      const { client, userId } = await signIn(values);
      const size = (await stat(file)).size;
      const shards: ShardFile[] = [];
      const manifest = await normalizeExport(
        { name: path.basename(file), stream: (await openAsBlob(file)).stream() as ReadableStream<Uint8Array>, size },
        (shard) => void shards.push(shard),
      );
      const manifestJson = JSON.stringify(manifest);
      console.log(`normalized ${manifest.counts.conversations} conversations into ${shards.length} shard(s)` +
        (manifest.counts.failed ? ` (${manifest.counts.failed} could not be read)` : ""));

      const importId = await importIdFor(userId, manifestJson);
      const folder = `${userId}/${importId}/`;
      const bucket = client.storage.from("imports");
      const { data: stored, error: listError } = await bucket.list(folder.slice(0, -1), { limit: 10_000 });
      if (listError) throw new Error(`listing ${folder} failed: ${listError.message}`);
      const have = new Map((stored ?? []).map((o) => [o.name, Number((o.metadata as { size?: number } | null)?.size ?? -1)]));
      let sent = 0;
      let skipped = 0;
      for (const s of shards) {
        if (have.get(s.name) === s.bytes.length) {
          skipped++;
          continue;
        }
        const { error } = await bucket.upload(`${folder}${s.name}`, s.bytes, { contentType: "application/gzip", upsert: true });
        if (error) throw new Error(`uploading ${s.name} failed: ${error.message} (run the same command again to resume)`);
        sent += s.bytes.length;
      }
      const { error: mError } = await bucket.upload(`${folder}manifest.json`, manifestJson, { contentType: "application/json", upsert: true });
      if (mError) throw new Error(`uploading manifest.json failed: ${mError.message}`);
      console.log(`uploaded ${formatBytes(sent)} (${skipped} shard(s) already stored) to imports/${folder}`);

      const r = await callFunction(client, "import-trigger", { storagePath: folder, fileType: "shards", importId });
      if (r.status !== 202) {
        console.error(`import-trigger answered ${r.status}: ${r.body?.error?.message ?? JSON.stringify(r.body)}`);
        return 1;
      }
      console.log(`import ${r.body.importId} started (run ${r.body.runId})`);
      if (values["no-wait"]) return 0;
      const final = await follow(client);
      return final.full_pass_status === "complete" ? 0 : 1;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
