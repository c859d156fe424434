import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from "@supabase/supabase-js";

/** A failed Edge Function call, with the HTTP status and the function's error code when known. */
export class FunctionCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "FunctionCallError";
  }
}

/**
 * Turns what `supabase.functions.invoke` returned as `error` into a {@link FunctionCallError}
 * whose message a person can act on. The functions answer `{error:{code,message}}`.
 */
export async function toFunctionCallError(error: unknown): Promise<FunctionCallError> {
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    const retryAfter = Number(response.headers.get("Retry-After") ?? "") || null;
    let code: string | null = null;
    let message = `The server answered ${response.status}.`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? null;
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not JSON: keep the status line.
    }
    if (response.status === 429) {
      message = retryAfter
        ? `Too many attempts — try again in ${formatWait(retryAfter)}.`
        : "Too many attempts — try again a little later.";
    }
    return new FunctionCallError(message, response.status, code, retryAfter);
  }
  if (error instanceof FunctionsFetchError || error instanceof FunctionsRelayError) {
    return new FunctionCallError("Could not reach the server. Check your connection and try again.", null, null);
  }
  return new FunctionCallError(error instanceof Error ? error.message : String(error), null, null);
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}
