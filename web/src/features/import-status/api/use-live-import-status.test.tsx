import { createClient } from "@supabase/supabase-js";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { SupabaseProvider } from "../../../lib/supabase-context.tsx";
import { importStatus } from "../../../test/import-status-fixture.ts";
import { useLiveImportStatus } from "./use-live-import-status.ts";

const USER = "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77";
const ANON = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU";

function Status() {
  const { data } = useLiveImportStatus(USER);
  return <p>{data ? `full pass ${data.full_pass_status}` : "loading"}</p>;
}

/**
 * supabase-js against a fake HTTP boundary that answers get_import_status() with the statuses
 * given, one per call (the last one repeats). The Realtime socket points at a closed port, so the
 * only way a new status can arrive is a refetch.
 */
function renderStatus(statuses: ReturnType<typeof importStatus>[]) {
  let calls = 0;
  const fetch = async (input: RequestInfo | URL) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname !== "/rest/v1/rpc/get_import_status") return new Response("{}", { status: 404 });
    const body = statuses[Math.min(calls, statuses.length - 1)];
    calls++;
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  };
  const client = createClient("http://127.0.0.1:9", ANON, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { fetch: fetch as typeof globalThis.fetch },
  });
  // refetchOnWindowFocus off: a refetch can only come from the hook's own visibility handler.
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: Infinity } },
  });
  const view = render(
    <SupabaseProvider client={client}>
      <QueryClientProvider client={queryClient}>
        <Status />
      </QueryClientProvider>
    </SupabaseProvider>,
  );
  return { calls: () => calls, unmount: view.unmount, client };
}

function setVisibility(state: DocumentVisibilityState) {
  Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}

afterEach(() => setVisibility("visible"));

describe("useLiveImportStatus()", () => {
  it("useLiveImportStatus() refetches the status when the tab becomes visible again", async () => {
    const view = renderStatus([importStatus(), importStatus({ full_pass_status: "failed", can_retry: true, retry_blocked_reason: null })]);
    expect(await screen.findByText("full pass processing")).toBeTruthy();
    const before = view.calls();

    act(() => setVisibility("hidden"));
    expect(view.calls()).toBe(before);

    act(() => setVisibility("visible"));
    expect(await screen.findByText("full pass failed")).toBeTruthy();
    expect(view.calls()).toBe(before + 1);
    view.unmount();
    await view.client.removeAllChannels();
  });

  it("useLiveImportStatus() refetches when the browser comes back online", async () => {
    const view = renderStatus([importStatus(), importStatus({ full_pass_status: "complete" })]);
    expect(await screen.findByText("full pass processing")).toBeTruthy();
    act(() => void window.dispatchEvent(new Event("online")));
    expect(await screen.findByText("full pass complete")).toBeTruthy();
    view.unmount();
    await view.client.removeAllChannels();
  });
});
