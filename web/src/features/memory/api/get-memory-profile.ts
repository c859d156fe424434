import type { SupabaseClient } from "@supabase/supabase-js";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { memoryKeys } from "./query-keys.ts";

/** The consolidated memory profile (one row per user). */
export interface MemoryProfile {
  markdown: string;
  /** What the import worker records (quick pass, then finalize): counts, date range, topics, activity. */
  stats: {
    conversations?: number;
    messages?: number;
    date_from?: string | null;
    date_to?: string | null;
    /** Per month (`YYYY-MM`): conversations started, messages, the user's messages. */
    activity?: Record<string, { conversations: number; messages?: number; userMessages?: number } | number>;
    top_topics?: (string | { topic: string; count?: number })[];
    chunks?: number;
    facts?: number;
    [key: string]: unknown;
  } | null;
  partial: boolean;
  updated_at: string;
}

/** Reads the caller's profile, or null before the first one is built. */
export async function fetchMemoryProfile(client: SupabaseClient): Promise<MemoryProfile | null> {
  const { data, error } = await client.from("memory_profiles").select("markdown, stats, partial, updated_at").maybeSingle();
  if (error) throw new Error(`Could not load your memory profile: ${error.message}`);
  return data as MemoryProfile | null;
}

export function memoryProfileQueryOptions(client: SupabaseClient, userId: string) {
  return queryOptions({ queryKey: memoryKeys.profile(userId), queryFn: () => fetchMemoryProfile(client) });
}

export function useMemoryProfile(userId: string) {
  const client = useSupabase();
  return useQuery(memoryProfileQueryOptions(client, userId));
}
