import type { SupabaseClient } from "@supabase/supabase-js";
import { IMPORTS_BUCKET } from "./upload-object.ts";

/**
 * The objects already stored in an import folder (`<uid>/<importId>`), name → size in bytes, so a
 * resumed import sends only what is missing. RLS lets a user list only their own folder.
 */
export async function listStoredObjects(client: SupabaseClient, folder: string): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  const pageSize = 1000;
  for (let offset = 0; ; offset += pageSize) {
    const { data, error } = await client.storage.from(IMPORTS_BUCKET).list(folder, { limit: pageSize, offset });
    if (error) throw new Error(`Could not check what was already uploaded: ${error.message}`);
    for (const object of data ?? []) {
      if (object.id === null) continue;
      const size = Number((object.metadata as { size?: unknown } | null)?.size);
      if (Number.isFinite(size)) stored.set(object.name, size);
    }
    if ((data ?? []).length < pageSize) return stored;
  }
}
