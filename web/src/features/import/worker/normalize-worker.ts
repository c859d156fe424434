/**
 * The import's heavy lifting, off the main thread: stream-read the chosen export with the shared
 * readers (`normalizeExport`: unzip, parse, normalize each conversation's visible thread) and pack
 * gzip NDJSON shards. Each shard is handed to the page, which uploads it; the worker waits for the
 * page's `ack` before producing more than {@link WINDOW} unacknowledged shards, so a 2 GB export
 * never piles up in memory.
 */
import { isExportError } from "../../../../../shared/errors.ts";
import { normalizeExport } from "../../../../../shared/export/normalize-export.ts";
import type { FromNormalizeWorker, ToNormalizeWorker } from "./messages.ts";

/** The bits of DedicatedWorkerGlobalScope used here (the DOM lib, not the webworker lib, is loaded). */
interface WorkerScope {
  postMessage(message: FromNormalizeWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToNormalizeWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** How many shards may wait for the page's ack before the reader pauses. */
const WINDOW = 2;
const PROGRESS_EVERY_MS = 100;

const acks = new Map<number, () => void>();
let acked = -1;

function post(message: FromNormalizeWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function waitForAck(seq: number): Promise<void> {
  if (acked >= seq) return Promise.resolve();
  return new Promise((resolve) => acks.set(seq, resolve));
}

async function run(file: File): Promise<void> {
  let seq = 0;
  let lastProgress = 0;
  try {
    const manifest = await normalizeExport(
      { name: file.name, stream: file.stream() as ReadableStream<Uint8Array>, size: file.size },
      async (shard) => {
        const mine = seq++;
        post({ type: "shard", seq: mine, name: shard.name, bytes: shard.bytes, entry: shard.entry }, [shard.bytes.buffer]);
        if (mine - WINDOW >= 0) await waitForAck(mine - WINDOW);
      },
      {
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastProgress < PROGRESS_EVERY_MS && p.bytesRead < file.size) return;
          lastProgress = now;
          post({ type: "progress", bytesRead: p.bytesRead, totalBytes: file.size, conversations: p.conversations, failed: p.failed });
        },
      },
    );
    post({ type: "progress", bytesRead: file.size, totalBytes: file.size, conversations: manifest.counts.conversations, failed: manifest.counts.failed });
    post({ type: "done", manifest });
  } catch (e) {
    if (isExportError(e)) post({ type: "error", code: e.code, message: e.message });
    else post({ type: "error", code: "internal", message: e instanceof Error ? e.message : String(e) });
  }
}

scope.onmessage = (event: MessageEvent<ToNormalizeWorker>) => {
  const message = event.data;
  if (message.type === "start") void run(message.file);
  else if (message.type === "ack") {
    acked = Math.max(acked, message.seq);
    for (const [seq, resolve] of acks) {
      if (seq <= acked) {
        acks.delete(seq);
        resolve();
      }
    }
  }
};
