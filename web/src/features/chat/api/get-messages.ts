import type { SupabaseClient } from "@supabase/supabase-js";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { chatKeys } from "./query-keys.ts";

/** A source shown under an answer: which conversation, and when. */
export interface ChatSource {
  conversation_id: string;
  conversation_title: string | null;
  conversation_time: string | null;
  snippet?: string;
}

/** One persisted chat message. */
export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  sources: ChatSource[] | null;
  created_at: string;
}

/** The user's chat history, oldest first (RLS returns only their own rows). */
export async function fetchMessages(client: SupabaseClient): Promise<ChatMessage[]> {
  const { data, error } = await client
    .from("chat_messages")
    .select("id, role, content, sources, created_at")
    .order("created_at", { ascending: true })
    .limit(200);
  if (error) throw new Error(`Could not load your chat: ${error.message}`);
  return data as ChatMessage[];
}

export function messagesQueryOptions(client: SupabaseClient, userId: string) {
  return queryOptions({ queryKey: chatKeys.messages(userId), queryFn: () => fetchMessages(client) });
}

export function useMessages(userId: string) {
  const client = useSupabase();
  return useQuery(messagesQueryOptions(client, userId));
}
