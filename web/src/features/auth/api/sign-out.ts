import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useSupabase } from "../../../lib/supabase-context.tsx";

/** Signs out everywhere and drops every cached query of the previous user. */
export function useSignOut() {
  const client = useSupabase();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { error } = await client.auth.signOut();
      if (error) throw error;
    },
    onSettled: () => queryClient.clear(),
  });
}
