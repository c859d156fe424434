import type { SupabaseClient } from "@supabase/supabase-js";
import { toFunctionCallError } from "../../../lib/function-error.ts";

/** What `import-trigger` answers with 202. */
export interface ImportAccepted {
  importId: string;
  runId: string;
  /** False when this import id had already been started (an idempotent replay). */
  created: boolean;
}

/** Where the browser-normalized shard set lies: the folder `<uid>/<importId>/`. */
export function shardFolder(userId: string, importId: string): string {
  return `${userId}/${importId}/`;
}

/**
 * POSTs `import-trigger` for a shard folder the browser uploaded: the function checks the path is
 * the caller's and that manifest.json exists, records the import and starts the worker.
 */
export async function triggerImport(client: SupabaseClient, input: { userId: string; importId: string }): Promise<ImportAccepted> {
  const { data, error } = await client.functions.invoke<ImportAccepted>("import-trigger", {
    method: "POST",
    body: { storagePath: shardFolder(input.userId, input.importId), fileType: "shards", importId: input.importId },
  });
  if (error) throw await toFunctionCallError(error);
  return data as ImportAccepted;
}
