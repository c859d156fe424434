/** Starts a fresh normalize worker (module worker; Vite bundles it with the shared readers). */
export function startNormalizeWorker(): Worker {
  return new Worker(new URL("./normalize-worker.ts", import.meta.url), { type: "module", name: "engram-normalize" });
}
