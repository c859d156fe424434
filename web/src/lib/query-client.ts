import { QueryClient } from "@tanstack/react-query";

/**
 * Server state lives here, not in useState. Realtime keeps the import status fresh, so queries
 * don't poll; they refetch when the tab becomes visible again (TanStack's focus manager listens
 * to visibilitychange) and when the network comes back.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 30_000, retry: 2, refetchOnWindowFocus: true, refetchOnReconnect: true },
      mutations: { retry: 0 },
    },
  });
}
