import type { SupabaseClient } from "@supabase/supabase-js";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { ImportStatusSchema, type ImportStatus } from "../../../../../shared/import-status.ts";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { importStatusKeys } from "./query-keys.ts";

/** Calls `get_import_status()` (the caller's whole import picture) and validates its shape. */
export async function fetchImportStatus(client: SupabaseClient): Promise<ImportStatus> {
  const { data, error } = await client.rpc("get_import_status");
  if (error) throw new Error(`Could not load your import status: ${error.message}`);
  return ImportStatusSchema.parse(data);
}

/** Query options for the status of `userId`; Realtime keeps it fresh, so no polling interval. */
export function importStatusQueryOptions(client: SupabaseClient, userId: string) {
  return queryOptions({
    queryKey: importStatusKeys.detail(userId),
    queryFn: () => fetchImportStatus(client),
  });
}

/** The signed-in user's import status (see {@link useLiveImportStatus} for the live part). */
export function useImportStatus(userId: string) {
  const client = useSupabase();
  return useQuery(importStatusQueryOptions(client, userId));
}
