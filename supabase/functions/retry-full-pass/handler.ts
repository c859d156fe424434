import { z } from "zod";
import { requireUser, userClient } from "../_shared/clients.ts";
import { waitUntil } from "../_shared/edge-runtime.ts";
import type { Env } from "../_shared/env.ts";
import { fromPostgrestError, HttpError } from "../_shared/errors.ts";
import { json, readJson } from "../_shared/http.ts";
import { kickWorker } from "../_shared/kick.ts";
import { parseBody } from "../_shared/validate.ts";

/** The body is empty or `{}`: what to retry is read from the caller's profile, never from the request. */
export const RetryBody = z.strictObject({}, {
  error: (iss) => (iss.code === "invalid_type" ? "body must be empty or {}" : undefined),
});

/** What `retry-full-pass` needs from its surroundings. */
export interface RetryDeps {
  env: Env;
  fetch?: typeof fetch;
  kick?: (body: Record<string, unknown>) => void;
}

/**
 * POST with the user's JWT → 202 `{runId, importId, attempt, requeuedTasks}`. The claim is one
 * atomic RPC (`claim_full_pass_retry`) that reads storage_path from user_profiles and applies the
 * `retry` rate limit; its refusals map to 409 (with the current status), 404/422 (no usable
 * export) and 429 (with Retry-After).
 */
export async function handleRetryFullPass(req: Request, deps: RetryDeps): Promise<Response> {
  const client = userClient(req, deps.env, deps.fetch);
  await requireUser(client, req);
  parseBody(RetryBody, await readJson(req, {}));

  const { data, error } = await client.rpc("claim_full_pass_retry");
  if (error) {
    const httpError = fromPostgrestError(error, "claim_full_pass_retry");
    if (httpError.status === 409) {
      const status = await client.rpc("get_import_status");
      const details = { ...(httpError.details as Record<string, unknown> | undefined), status: status.data ?? null };
      throw new HttpError(409, httpError.message, { details });
    }
    throw httpError;
  }
  const claim = data as { run_id: string; import_id: string; attempt: number; requeued_tasks: number };
  const kick = deps.kick ?? ((b) => waitUntil(kickWorker(deps.env, b, deps.fetch)));
  kick({ reason: "retry", runId: claim.run_id });
  return json(202, {
    runId: claim.run_id,
    importId: claim.import_id,
    attempt: claim.attempt,
    requeuedTasks: claim.requeued_tasks,
  });
}
