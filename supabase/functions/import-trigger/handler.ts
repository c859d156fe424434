import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { requireUser, userClient } from "../_shared/clients.ts";
import { waitUntil } from "../_shared/edge-runtime.ts";
import type { Env } from "../_shared/env.ts";
import { fromPostgrestError, HttpError } from "../_shared/errors.ts";
import { json, readJson } from "../_shared/http.ts";
import { kickWorker } from "../_shared/kick.ts";
import { checkOwnedPath, FileTypeSchema, IMPORTS_BUCKET, splitPath, StoragePathSchema } from "../_shared/storage-path.ts";
import { parseBody } from "../_shared/validate.ts";

/** The request body: where the export lies and what it is. Unknown fields are refused. */
export const ImportTriggerBody = z.strictObject(
  {
    storagePath: StoragePathSchema,
    fileType: FileTypeSchema,
    importId: z.uuid({ message: "importId must be a UUID" }).optional(),
  },
  { error: (iss) => (iss.code === "invalid_type" ? "body must be a JSON object {storagePath, fileType, importId?}" : undefined) },
);

/** What `import-trigger` needs from its surroundings (real ones in index.ts, others in tests). */
export interface ImportTriggerDeps {
  env: Env;
  fetch?: typeof fetch;
  /** Starts the worker in the background; default: POST import-worker inside EdgeRuntime.waitUntil. */
  kick?: (body: Record<string, unknown>) => void;
}

/**
 * POST `{storagePath, fileType, importId?}` with the user's JWT → 202 `{importId, runId, created}`.
 * Validates (400), checks the path is the caller's (403) and exists in Storage under the caller's
 * RLS (404), then records the import through `begin_import`, which re-checks the path, refuses a
 * second active import (409) and applies the `import` rate limit (429) in the same transaction
 * (so a limit is never consumed twice), then kicks the worker.
 */
export async function handleImportTrigger(req: Request, deps: ImportTriggerDeps): Promise<Response> {
  const client = userClient(req, deps.env, deps.fetch);
  const user = await requireUser(client, req);
  const body = parseBody(ImportTriggerBody, await readJson(req));
  const storagePath = checkOwnedPath(body.storagePath, body.fileType, user.id);
  await requireExport(client, storagePath, body.fileType);

  const { data, error } = await client.rpc("begin_import", {
    p_storage_path: storagePath,
    p_file_type: body.fileType,
    p_import_id: body.importId ?? null,
  });
  if (error) throw fromPostgrestError(error, "begin_import");
  const result = data as { import_id: string; run_id: string; created: boolean };

  const kick = deps.kick ?? ((b) => waitUntil(kickWorker(deps.env, b, deps.fetch)));
  kick({ reason: "import", runId: result.run_id });
  return json(202, { importId: result.import_id, runId: result.run_id, created: result.created });
}

/**
 * Throws 404 unless the export exists and the caller can see it (the caller's client, so RLS
 * decides): the file itself, or `manifest.json` inside a shards folder.
 */
async function requireExport(client: SupabaseClient, storagePath: string, fileType: string): Promise<void> {
  const target = fileType === "shards" ? `${storagePath}manifest.json` : storagePath;
  const { dir, name } = splitPath(target);
  const { data, error } = await client.storage.from(IMPORTS_BUCKET).list(dir, { search: name, limit: 100 });
  if (error) {
    throw new HttpError(404, `no export found at ${storagePath}`, { details: { reason: "no_export" }, cause: error });
  }
  if (!(data ?? []).some((o) => o.name === name && o.id !== null)) {
    throw new HttpError(404, fileType === "shards"
      ? `no manifest.json found in ${storagePath}; upload the shards and the manifest first`
      : `no export found at ${storagePath}; upload it first`, { details: { reason: "no_export" } });
  }
}
