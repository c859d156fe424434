import type { SupabaseClient } from "@supabase/supabase-js";
import type { Manifest } from "../../../../../shared/shards/manifest.ts";
import { listStoredObjects } from "./list-stored-objects.ts";
import { shardFolder, triggerImport, type ImportAccepted } from "./trigger-import.ts";
import { uploadObject } from "./upload-object.ts";
import { exportProblem, fileProblem, serverProblem, type ImportProblem } from "../utils/import-errors.ts";
import { markImportTriggered, openImportRecord } from "../utils/import-record.ts";
import type { FromNormalizeWorker, ParseProgress, ToNormalizeWorker } from "../worker/messages.ts";

/** Where an import stands, for the two progress bars. */
export interface ImportProgress {
  stage: "checking" | "reading" | "uploading" | "starting";
  /** True when this file was picked before and the import continues where it stopped. */
  resumed: boolean;
  parse: ParseProgress & { done: boolean };
  upload: {
    /** Bytes stored (sent now or found already stored). */
    bytesStored: number;
    /** Bytes of all shards produced so far (the total once parsing is done). */
    bytesProduced: number;
    shardsStored: number;
    shardsSkipped: number;
    shardsProduced: number;
    conversationsStored: number;
    done: boolean;
  };
}

/** What a finished import hands back. */
export interface ImportOutcome extends ImportAccepted {
  resumed: boolean;
  manifest: Manifest;
}

/** An import that stopped, with words for the person. */
export class ImportFailure extends Error {
  constructor(readonly problem: ImportProblem, options?: { cause?: unknown }) {
    super(`${problem.title}: ${problem.detail}`, options);
    this.name = "ImportFailure";
  }
}

/** What {@link runImport} talks to. */
export interface ImportDeps {
  client: SupabaseClient;
  supabaseUrl: string;
  userId: string;
  /** Where the file → import id records live (localStorage in the app). */
  storage: Storage;
  /** Starts a normalize worker (worker/start-normalize-worker.ts in the app). */
  startWorker: () => Worker;
}

/** The initial progress. */
export function initialProgress(totalBytes: number): ImportProgress {
  return {
    stage: "checking",
    resumed: false,
    parse: { bytesRead: 0, totalBytes, conversations: 0, failed: 0, done: false },
    upload: { bytesStored: 0, bytesProduced: 0, shardsStored: 0, shardsSkipped: 0, shardsProduced: 0, conversationsStored: 0, done: false },
  };
}

interface ShardJob {
  seq: number;
  name: string;
  bytes: Uint8Array;
  conversations: number;
}

/**
 * Imports one export file end to end: the normalize worker reads it and produces shards (the
 * main thread never parses), each shard is stored under `<uid>/<importId>/` unless an object of
 * the same name and size is already there, `manifest.json` goes last, then `import-trigger`
 * starts the server side. The import id is remembered per file, so picking the same file again
 * (after a reload, a cancel or a failure) resumes the same folder. Rejects with
 * {@link ImportFailure} (or the signal's reason when cancelled).
 */
export async function runImport(
  deps: ImportDeps,
  file: File,
  options: { signal?: AbortSignal; onProgress?: (progress: ImportProgress) => void } = {},
): Promise<ImportOutcome> {
  const { client, userId } = deps;
  const { signal } = options;
  const refused = fileProblem(file);
  if (refused) throw new ImportFailure(refused);

  let progress = initialProgress(file.size);
  const emit = (next: Partial<ImportProgress>) => {
    progress = { ...progress, ...next };
    options.onProgress?.(progress);
  };
  emit({});

  const { record, resumed } = openImportRecord(deps.storage, userId, file);
  const folder = shardFolder(userId, record.importId);
  let stored: Map<string, number>;
  try {
    stored = await listStoredObjects(client, folder.slice(0, -1));
  } catch (e) {
    throw new ImportFailure(serverProblem(e), { cause: e });
  }
  signal?.throwIfAborted();
  emit({ stage: "reading", resumed: resumed || stored.size > 0 });

  const manifest = await readAndUpload(deps, file, folder, stored, signal, (update) => {
    emit({
      parse: update.parse ? { ...progress.parse, ...update.parse } : progress.parse,
      upload: update.upload ? { ...progress.upload, ...update.upload } : progress.upload,
      stage: update.stage ?? progress.stage,
    });
  }, () => progress);

  if (manifest.counts.conversations === 0) {
    throw new ImportFailure({
      title: "No conversations found",
      detail: `“${file.name}” was read, but it holds no conversation with a visible message.`,
    });
  }
  emit({ stage: "starting" });
  try {
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
    await uploadObject(client, deps.supabaseUrl, {
      path: `${folder}manifest.json`,
      bytes: manifestBytes,
      contentType: "application/json",
      ...(signal ? { signal } : {}),
    });
    signal?.throwIfAborted();
    const accepted = await triggerImport(client, { userId, importId: record.importId });
    markImportTriggered(deps.storage, userId, record);
    emit({ upload: { ...progress.upload, done: true } });
    return { ...accepted, resumed: progress.resumed, manifest };
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new ImportFailure(serverProblem(e), { cause: e });
  }
}

type ProgressUpdate = {
  stage?: ImportProgress["stage"];
  parse?: Partial<ImportProgress["parse"]>;
  upload?: Partial<ImportProgress["upload"]>;
};

/** Runs the worker and uploads its shards one after another while it keeps reading. */
function readAndUpload(
  deps: ImportDeps,
  file: File,
  folder: string,
  stored: Map<string, number>,
  signal: AbortSignal | undefined,
  update: (u: ProgressUpdate) => void,
  current: () => ImportProgress,
): Promise<Manifest> {
  return new Promise<Manifest>((resolve, reject) => {
    const worker = deps.startWorker();
    const queue: ShardJob[] = [];
    let manifest: Manifest | null = null;
    let uploading = false;
    let settled = false;

    const finish = (error: unknown, value?: Manifest) => {
      if (settled) return;
      settled = true;
      worker.terminate();
      signal?.removeEventListener("abort", onAbort);
      if (error !== undefined) reject(error);
      else resolve(value!);
    };
    const onAbort = () => finish(signal!.reason);
    signal?.addEventListener("abort", onAbort);
    if (signal?.aborted) return onAbort();

    const send = (message: ToNormalizeWorker) => worker.postMessage(message);
    const pump = async () => {
      if (uploading) return;
      uploading = true;
      try {
        while (queue.length > 0 && !settled) {
          const job = queue.shift()!;
          const before = current().upload;
          if (stored.get(job.name) === job.bytes.length) {
            update({ upload: { bytesStored: before.bytesStored + job.bytes.length, shardsStored: before.shardsStored + 1, shardsSkipped: before.shardsSkipped + 1, conversationsStored: before.conversationsStored + job.conversations } });
          } else {
            const base = before.bytesStored;
            await uploadObject(deps.client, deps.supabaseUrl, {
              path: `${folder}${job.name}`,
              bytes: job.bytes,
              contentType: "application/gzip",
              ...(signal ? { signal } : {}),
              onProgress: (sent) => update({ upload: { bytesStored: base + Math.min(sent, job.bytes.length) } }),
            });
            const after = current().upload;
            update({ upload: { bytesStored: base + job.bytes.length, shardsStored: after.shardsStored + 1, conversationsStored: after.conversationsStored + job.conversations } });
          }
          send({ type: "ack", seq: job.seq });
        }
      } catch (e) {
        finish(signal?.aborted ? signal.reason : new ImportFailure(serverProblem(e), { cause: e }));
        return;
      } finally {
        uploading = false;
      }
      if (manifest && queue.length === 0 && !settled) finish(undefined, manifest);
    };

    worker.onmessage = (event: MessageEvent<FromNormalizeWorker>) => {
      const message = event.data;
      switch (message.type) {
        case "progress":
          update({ parse: { bytesRead: message.bytesRead, totalBytes: message.totalBytes, conversations: message.conversations, failed: message.failed } });
          break;
        case "shard": {
          queue.push({ seq: message.seq, name: message.name, bytes: message.bytes, conversations: message.entry.conversations });
          const u = current().upload;
          update({ upload: { bytesProduced: u.bytesProduced + message.bytes.length, shardsProduced: u.shardsProduced + 1 } });
          void pump();
          break;
        }
        case "done":
          manifest = message.manifest;
          update({ stage: "uploading", parse: { done: true } });
          void pump();
          break;
        case "error":
          finish(new ImportFailure(exportProblem(message.code, message.message)));
          break;
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(new ImportFailure(exportProblem("internal", event.message || "the reader stopped unexpectedly")));
    };
    send({ type: "start", file });
  });
}
