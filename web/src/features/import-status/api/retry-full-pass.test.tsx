import { FunctionsFetchError, FunctionsHttpError } from "@supabase/supabase-js";
import { MutationObserver, QueryClient, QueryClientProvider, useMutation, useQuery } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { toFunctionCallError } from "../../../lib/function-error.ts";
import { failedStatus, importStatus } from "../../../test/import-status-fixture.ts";
import { FullPassBanner } from "../components/full-pass-banner.tsx";
import { importStatusKeys } from "./query-keys.ts";
import { retryFullPassMutationOptions, type RetryAccepted } from "./retry-full-pass.ts";

const USER = "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77";
const KEY = importStatusKeys.detail(USER);

/** A request whose answer the test decides: the network boundary of the retry. */
function deferredRequest() {
  let resolve!: (value: RetryAccepted) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<RetryAccepted>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { request: () => promise, resolve, reject };
}

function seededClient(status: ImportStatus): QueryClient {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: 0 } } });
  queryClient.setQueryData(KEY, status);
  return queryClient;
}

/** An answer of the retry-full-pass function as supabase-js reports it. */
async function httpError(status: number, body: unknown, headers: Record<string, string> = {}) {
  const response = new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
  return await toFunctionCallError(new FunctionsHttpError(response));
}

describe("retryFullPassMutationOptions", () => {
  it("retryFullPassMutationOptions() shows processing at once while the request is in flight and keeps it on 202", async () => {
    const queryClient = seededClient(failedStatus());
    const net = deferredRequest();
    const observer = new MutationObserver(queryClient, retryFullPassMutationOptions(queryClient, USER, net.request));
    const done = observer.mutate();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    const optimistic = queryClient.getQueryData<ImportStatus>(KEY)!;
    expect(optimistic.full_pass_status).toBe("processing");
    expect(optimistic.full_pass_error).toBeNull();
    expect(optimistic.can_retry).toBe(false);
    expect(optimistic.retry_blocked_reason).toBe("in_progress");
    net.resolve({ runId: "3d0c9f5e-1b6a-4a8e-8c7d-2e9f4b1a6c55", attempt: 2 });
    await expect(done).resolves.toEqual({ runId: "3d0c9f5e-1b6a-4a8e-8c7d-2e9f4b1a6c55", attempt: 2 });
    expect(queryClient.getQueryData<ImportStatus>(KEY)!.full_pass_status).toBe("processing");
    // The query is marked stale so the server's picture (via refetch/Realtime) confirms it.
    expect(queryClient.getQueryState(KEY)?.isInvalidated).toBe(true);
  });

  it("retryFullPassMutationOptions() rolls back to the failed status when the server answers 409", async () => {
    const before = failedStatus();
    const queryClient = seededClient(before);
    const net = deferredRequest();
    const observer = new MutationObserver(queryClient, retryFullPassMutationOptions(queryClient, USER, net.request));
    const done = observer.mutate();
    await new Promise((r) => setTimeout(r, 0));
    expect(queryClient.getQueryData<ImportStatus>(KEY)!.full_pass_status).toBe("processing");
    const conflict = await httpError(409, { error: { code: "conflict", message: "The full pass is already running", details: { reason: "already_processing" } } });
    net.reject(conflict);
    await expect(done).rejects.toThrow("The full pass is already running");
    expect(queryClient.getQueryData<ImportStatus>(KEY)).toEqual(before);
    expect(observer.getCurrentResult().error?.message).toBe("The full pass is already running");
  });

  it("retryFullPassMutationOptions() rolls back and explains the wait when the server answers 429", async () => {
    const before = failedStatus();
    const queryClient = seededClient(before);
    const net = deferredRequest();
    const observer = new MutationObserver(queryClient, retryFullPassMutationOptions(queryClient, USER, net.request));
    const done = observer.mutate();
    net.reject(await httpError(429, { error: { code: "rate_limited", message: "rate limited" } }, { "Retry-After": "30" }));
    await expect(done).rejects.toThrow("Too many attempts — try again in 30 s.");
    expect(queryClient.getQueryData<ImportStatus>(KEY)).toEqual(before);
  });

  it("retryFullPassMutationOptions() rolls back when the network fails", async () => {
    const before = failedStatus();
    const queryClient = seededClient(before);
    const net = deferredRequest();
    const observer = new MutationObserver(queryClient, retryFullPassMutationOptions(queryClient, USER, net.request));
    const done = observer.mutate();
    net.reject(await toFunctionCallError(new FunctionsFetchError(new TypeError("Failed to fetch"))));
    await expect(done).rejects.toThrow("Could not reach the server");
    expect(queryClient.getQueryData<ImportStatus>(KEY)).toEqual(before);
  });

  it("retryFullPassMutationOptions() does not invent a status when none was loaded yet", async () => {
    const queryClient = new QueryClient();
    const net = deferredRequest();
    const observer = new MutationObserver(queryClient, retryFullPassMutationOptions(queryClient, USER, net.request));
    const done = observer.mutate();
    net.reject(new Error("offline"));
    await expect(done).rejects.toThrow("offline");
    expect(queryClient.getQueryData(KEY)).toBeUndefined();
  });
});

/** What `get_import_status()` answers in the harness (the other network boundary). */
let serverStatus: () => Promise<ImportStatus>;
let harnessClient: QueryClient;

/** The banner wired to the real mutation options, as DeepMemoryBanner does, with test-owned requests. */
function Harness({ request }: { request: () => Promise<RetryAccepted> }) {
  const { data } = useQuery({ queryKey: KEY, queryFn: () => serverStatus() });
  const retry = useMutation(retryFullPassMutationOptions(harnessClient, USER, request));
  if (!data) return null;
  return (
    <FullPassBanner
      status={data}
      retry={{ onRetry: () => retry.mutate(), pending: retry.isPending, error: retry.isError ? retry.error.message : null }}
      onDismiss={() => {}}
      reuploadHref="/import"
    />
  );
}

function renderHarness(request: () => Promise<RetryAccepted>, server: () => Promise<ImportStatus>) {
  serverStatus = server;
  harnessClient = seededClient(failedStatus());
  render(
    <QueryClientProvider client={harnessClient}>
      <MemoryRouter>
        <Harness request={request} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("Retry deep memory button", () => {
  it("Retry deep memory shows the optimistic progress at once and keeps it when the request is accepted", async () => {
    const user = userEvent.setup();
    const net = deferredRequest();
    renderHarness(net.request, async () => importStatus({ full_pass_attempts: 2, progress_percent: 3 }));
    await user.click(screen.getByRole("button", { name: "Retry deep memory" }));
    const region = screen.getByRole("region", { name: "Deep memory status" });
    expect(region.dataset.state).toBe("processing");
    expect(region.textContent).toContain("Resuming deep memory");
    expect((screen.getByRole("button", { name: "Retrying…" }) as HTMLButtonElement).disabled).toBe(true);
    net.resolve({ runId: "3d0c9f5e-1b6a-4a8e-8c7d-2e9f4b1a6c55", attempt: 2 });
    expect(await screen.findByText("Building deep memory… 3 %")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Retrying…" })).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("Retry deep memory rolls back to the amber notice and says why when the request fails", async () => {
    const user = userEvent.setup();
    const net = deferredRequest();
    renderHarness(net.request, async () => failedStatus());
    await user.click(screen.getByRole("button", { name: "Retry deep memory" }));
    expect(screen.getByRole("region").dataset.state).toBe("processing");
    net.reject(await httpError(429, { error: { code: "rate_limited", message: "rate limited" } }, { "Retry-After": "120" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Too many attempts — try again in 2 min.");
    expect(screen.getByRole("region").dataset.state).toBe("failed");
    expect((screen.getByRole("button", { name: "Retry deep memory" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("Retry deep memory stays disabled as Retrying… until the server's status is back after a refusal", async () => {
    const user = userEvent.setup();
    const net = deferredRequest();
    let answer!: (s: ImportStatus) => void;
    renderHarness(net.request, () => new Promise<ImportStatus>((r) => (answer = r)));
    await user.click(screen.getByRole("button", { name: "Retry deep memory" }));
    net.reject(await httpError(409, { error: { code: "conflict", message: "Nothing to retry" } }));
    const button = await screen.findByRole("button", { name: "Retrying…" });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    answer(failedStatus());
    expect(await screen.findByRole("button", { name: "Retry deep memory" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe("Nothing to retry");
  });
});
