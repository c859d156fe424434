import type { SupabaseClient } from "@supabase/supabase-js";
import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { toFunctionCallError } from "../../../lib/function-error.ts";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { importStatusKeys } from "./query-keys.ts";

/** What `retry-full-pass` answers with 202. */
export interface RetryAccepted {
  runId: string;
  attempt?: number;
}

/** POSTs `retry-full-pass`; the server decides atomically and reads the stored export itself. */
export async function retryFullPass(client: SupabaseClient): Promise<RetryAccepted> {
  const { data, error } = await client.functions.invoke<RetryAccepted>("retry-full-pass", {
    method: "POST",
    body: {},
  });
  if (error) throw await toFunctionCallError(error);
  return data as RetryAccepted;
}

/** The optimistic picture right after a click: processing, no error, no second retry. */
export function optimisticRetry(status: ImportStatus): ImportStatus {
  return {
    ...status,
    full_pass_status: "processing",
    full_pass_error: null,
    full_pass_error_kind: null,
    import_stage: "Resuming deep memory",
    can_retry: false,
    retry_blocked_reason: "in_progress",
    stale: false,
  };
}

/**
 * Mutation options for a retry: optimistic `processing` (confirmed later by Realtime), rolled
 * back with the server's reason when the request fails (409, 429, network).
 */
export function retryFullPassMutationOptions(
  queryClient: QueryClient,
  userId: string,
  request: () => Promise<RetryAccepted>,
) {
  const key = importStatusKeys.detail(userId);
  return {
    mutationKey: [...key, "retry"] as const,
    mutationFn: request,
    onMutate: async () => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<ImportStatus>(key);
      if (previous) queryClient.setQueryData<ImportStatus>(key, optimisticRetry(previous));
      return { previous };
    },
    onError: (_error: Error, _vars: void, context: { previous?: ImportStatus } | undefined) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  };
}

/** "Retry deep memory" for the signed-in user. */
export function useRetryFullPass(userId: string) {
  const client = useSupabase();
  const queryClient = useQueryClient();
  return useMutation(retryFullPassMutationOptions(queryClient, userId, () => retryFullPass(client)));
}
