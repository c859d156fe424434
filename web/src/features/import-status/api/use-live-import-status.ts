import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { useImportStatus } from "./get-import-status.ts";
import { applyProfileRow } from "./profile-row.ts";
import { importStatusKeys } from "./query-keys.ts";

/**
 * The one owner of the live import status: the initial `get_import_status()` through react-query,
 * then a Realtime subscription to the user's own `user_profiles` row whose events are written
 * into the query cache. Browsers drop sockets in background tabs and Realtime replays nothing,
 * so every (re)subscribe and every return to the tab refetches: no transition is missed.
 */
export function useLiveImportStatus(userId: string) {
  const client = useSupabase();
  const queryClient = useQueryClient();
  const query = useImportStatus(userId);

  useEffect(() => {
    const key = importStatusKeys.detail(userId);
    const refetch = () => void queryClient.invalidateQueries({ queryKey: key });
    const channel = client
      .channel(`import-status:${userId}`)
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "user_profiles", filter: `user_id=eq.${userId}` },
        (payload) => {
          queryClient.setQueryData<ImportStatus>(key, (old) => applyProfileRow(old, payload.new));
          refetch();
        },
      )
      .subscribe((status) => {
        if (status === "SUBSCRIBED") refetch();
      });
    const onVisible = () => {
      if (document.visibilityState === "visible") refetch();
    };
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("online", refetch);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("online", refetch);
      void client.removeChannel(channel);
    };
  }, [client, queryClient, userId]);

  return query;
}
