import type { Env } from "./env.ts";

/** Name of the worker function. */
export const WORKER_FUNCTION = "import-worker";

/**
 * Starts (or continues) the import worker: a POST to `/functions/v1/import-worker` with the
 * service-role key, which is the only credential the worker accepts. Resolves once the worker has
 * answered (it answers when its invocation's work is done); never throws.
 */
export async function kickWorker(
  e: Env,
  body: Record<string, unknown> = {},
  fetchImpl: typeof fetch = fetch,
): Promise<number | null> {
  try {
    const res = await fetchImpl(`${e.SUPABASE_URL.replace(/\/$/, "")}/functions/v1/${WORKER_FUNCTION}`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${e.SUPABASE_SERVICE_ROLE_KEY}`,
        apikey: e.SUPABASE_SERVICE_ROLE_KEY,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  } catch (error) {
    console.error("could not reach the import worker:", error);
    return null;
  }
}
