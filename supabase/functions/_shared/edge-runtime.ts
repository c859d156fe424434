declare global {
  // Provided by Supabase's edge runtime (and the local stack); absent under plain `deno test`.
  // deno-lint-ignore no-var
  var EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;
}

/** Keeps the invocation alive until `promise` settles (EdgeRuntime.waitUntil), errors logged. */
export function waitUntil(promise: Promise<unknown>): void {
  const guarded = promise.catch((e) => console.error("background task failed:", e));
  globalThis.EdgeRuntime?.waitUntil(guarded);
}
