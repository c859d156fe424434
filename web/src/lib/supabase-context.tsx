import type { SupabaseClient } from "@supabase/supabase-js";
import { createContext, useContext, type ReactNode } from "react";

const SupabaseContext = createContext<SupabaseClient | null>(null);

/** Makes one supabase-js client available to every hook below it. */
export function SupabaseProvider({ client, children }: { client: SupabaseClient; children: ReactNode }) {
  return <SupabaseContext.Provider value={client}>{children}</SupabaseContext.Provider>;
}

/** The supabase-js client of the nearest {@link SupabaseProvider}. */
export function useSupabase(): SupabaseClient {
  const client = useContext(SupabaseContext);
  if (!client) throw new TypeError("useSupabase() needs a <SupabaseProvider> above it");
  return client;
}
