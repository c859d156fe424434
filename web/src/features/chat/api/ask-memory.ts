import type { SupabaseClient } from "@supabase/supabase-js";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toFunctionCallError } from "../../../lib/function-error.ts";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import type { ChatMessage } from "./get-messages.ts";
import { chatKeys } from "./query-keys.ts";

/** What the `chat` function answers: the stored question and answer. */
export interface ChatExchange {
  question: ChatMessage;
  answer: ChatMessage;
}

/**
 * Asks the `chat` Edge Function: it searches the caller's memory (`search_memory`, RLS), writes
 * an answer with sources (LLM-written where one is configured) and stores both messages.
 */
export async function askMemory(client: SupabaseClient, question: string): Promise<ChatExchange> {
  const { data, error } = await client.functions.invoke<ChatExchange>("chat", {
    method: "POST",
    body: { message: question },
  });
  if (error) throw await toFunctionCallError(error);
  return data as ChatExchange;
}

/** Sends a question; the pending question shows at once and the stored pair replaces it. */
export function useAskMemory(userId: string) {
  const client = useSupabase();
  const queryClient = useQueryClient();
  const key = chatKeys.messages(userId);
  return useMutation({
    mutationFn: (question: string) => askMemory(client, question),
    onMutate: async (question) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<ChatMessage[]>(key);
      const pending: ChatMessage = {
        id: `pending-${Date.now()}`,
        role: "user",
        content: question,
        sources: null,
        created_at: new Date().toISOString(),
      };
      queryClient.setQueryData<ChatMessage[]>(key, [...(previous ?? []), pending]);
      return { previous };
    },
    onError: (_e, _q, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSuccess: (exchange, _q, context) => {
      queryClient.setQueryData<ChatMessage[]>(key, [...(context?.previous ?? []), exchange.question, exchange.answer]);
    },
  });
}
