import { createClient } from "@supabase/supabase-js";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { SupabaseProvider } from "../../../lib/supabase-context.tsx";
import { importStatus } from "../../../test/import-status-fixture.ts";
import type { ChatMessage } from "../api/get-messages.ts";
import ChatPage from "./chat-page.tsx";

const USER = "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77";
const ANON = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU";

type Route = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;

/** The server as supabase-js sees it: HTTP answers by path (the network boundary). */
function fakeServer(routes: Record<string, Route>) {
  const calls: { path: string; body: unknown }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : null;
    calls.push({ path: url.pathname, body });
    const route = routes[url.pathname];
    if (!route) return new Response(JSON.stringify({ message: `no route ${url.pathname}` }), { status: 404 });
    return await route(url, init);
  };
  return { fetch, calls };
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json", ...headers } });

function renderChat(routes: Record<string, Route>) {
  const server = fakeServer(routes);
  const client = createClient("http://127.0.0.1:54321", ANON, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { fetch: server.fetch as typeof fetch },
  });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: 0 } } });
  render(
    <SupabaseProvider client={client}>
      <QueryClientProvider client={queryClient}>
        <MemoryRouter>
          <ChatPage userId={USER} />
        </MemoryRouter>
      </QueryClientProvider>
    </SupabaseProvider>,
  );
  return server;
}

const question: ChatMessage = { id: "q1", role: "user", content: "Where do I live?", sources: null, created_at: "2026-11-29T10:00:00.000Z" };
const answer: ChatMessage = {
  id: "a1",
  role: "assistant",
  content: "Here is what your memory says: • I live in Lisbon",
  sources: [{ conversation_id: "c1", conversation_title: "Kyoto trip", conversation_time: "2023-11-14T22:13:20.000Z" }],
  created_at: "2026-11-29T10:00:01.000Z",
};

describe("ChatPage", () => {
  it("ChatPage() sends the question with Enter and shows the answer with its source", async () => {
    const user = userEvent.setup();
    let release!: () => void;
    const server = renderChat({
      "/rest/v1/rpc/get_import_status": () => json(importStatus()),
      "/rest/v1/chat_messages": () => json([]),
      "/functions/v1/chat": () => new Promise<Response>((r) => (release = () => r(json({ question, answer })))),
    });
    const box = screen.getByLabelText("Ask something about yourself or your past conversations");
    await user.type(box, "Where do I live?{Enter}");
    expect(await screen.findByRole("button", { name: "Searching…" })).toBeTruthy();
    expect(screen.getByText("Where do I live?")).toBeTruthy();
    release();
    expect(await screen.findByText("Here is what your memory says: • I live in Lisbon")).toBeTruthy();
    expect(screen.getByRole("list", { name: "Sources" }).textContent).toContain("Kyoto trip");
    expect(server.calls.find((c) => c.path === "/functions/v1/chat")?.body).toEqual({ message: "Where do I live?" });
    expect((box as HTMLTextAreaElement).value).toBe("");
    expect(document.activeElement).toBe(box);
  });

  it("ChatPage() keeps a new line on Shift+Enter instead of sending", async () => {
    const user = userEvent.setup();
    const server = renderChat({
      "/rest/v1/rpc/get_import_status": () => json(importStatus()),
      "/rest/v1/chat_messages": () => json([]),
    });
    const box = screen.getByLabelText("Ask something about yourself or your past conversations");
    await user.type(box, "first line{Shift>}{Enter}{/Shift}second");
    expect((box as HTMLTextAreaElement).value).toBe("first line\nsecond");
    expect(server.calls.some((c) => c.path === "/functions/v1/chat")).toBe(false);
  });

  it("ChatPage() says why a question was refused and removes it from the list", async () => {
    const user = userEvent.setup();
    renderChat({
      "/rest/v1/rpc/get_import_status": () => json(importStatus()),
      "/rest/v1/chat_messages": () => json([]),
      "/functions/v1/chat": () => json({ error: { code: "rate_limited", message: "rate limited" } }, 429, { "Retry-After": "20" }),
    });
    await user.type(screen.getByLabelText("Ask something about yourself or your past conversations"), "Hello?{Enter}");
    expect((await screen.findByRole("alert")).textContent).toBe("Too many attempts — try again in 20 s.");
    expect(screen.queryByText("Hello?", { selector: "li p" })).toBeNull();
    expect((screen.getByLabelText("Ask something about yourself or your past conversations") as HTMLTextAreaElement).value).toBe("Hello?");
  });

  it("ChatPage() points to the import page before anything was imported", async () => {
    renderChat({
      "/rest/v1/rpc/get_import_status": () => json(importStatus({ import_status: "none", full_pass_status: "pending" })),
      "/rest/v1/chat_messages": () => json([]),
    });
    const link = await screen.findByRole("link", { name: "Import your ChatGPT export" });
    expect(link.getAttribute("href")).toBe("/import");
  });
});
