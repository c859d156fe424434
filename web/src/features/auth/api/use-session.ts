import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { authKeys } from "./query-keys.ts";

/** Reads the persisted session (refreshing it when it is about to expire). */
export async function fetchSession(client: SupabaseClient): Promise<Session | null> {
  const { data, error } = await client.auth.getSession();
  if (error) throw error;
  return data.session;
}

export function sessionQueryOptions(client: SupabaseClient) {
  return queryOptions({ queryKey: authKeys.session, queryFn: () => fetchSession(client), staleTime: Infinity });
}

/**
 * The current session, kept in the query cache and updated from supabase-js's auth events
 * (sign-in, sign-out, token refresh — also from other tabs).
 */
export function useSession() {
  const client = useSupabase();
  const queryClient = useQueryClient();
  useEffect(() => {
    const { data } = client.auth.onAuthStateChange((_event, session) => {
      queryClient.setQueryData(authKeys.session, session);
    });
    return () => data.subscription.unsubscribe();
  }, [client, queryClient]);
  return useQuery(sessionQueryOptions(client));
}
