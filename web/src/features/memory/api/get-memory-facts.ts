import type { SupabaseClient } from "@supabase/supabase-js";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { memoryKeys } from "./query-keys.ts";

/** One remembered fact with where it came from. */
export interface MemoryFact {
  fact_key: string;
  category: string;
  statement: string;
  confidence: number;
  sources: { conversation_id: string; conversation_title?: string | null; conversation_time?: string | null }[] | null;
}

/** The caller's facts, most confident first. */
export async function fetchMemoryFacts(client: SupabaseClient): Promise<MemoryFact[]> {
  const { data, error } = await client
    .from("memory_facts")
    .select("fact_key, category, statement, confidence, sources")
    .order("confidence", { ascending: false })
    .limit(200);
  if (error) throw new Error(`Could not load your facts: ${error.message}`);
  return data as MemoryFact[];
}

export function memoryFactsQueryOptions(client: SupabaseClient, userId: string) {
  return queryOptions({ queryKey: memoryKeys.facts(userId), queryFn: () => fetchMemoryFacts(client) });
}

export function useMemoryFacts(userId: string) {
  const client = useSupabase();
  return useQuery(memoryFactsQueryOptions(client, userId));
}
