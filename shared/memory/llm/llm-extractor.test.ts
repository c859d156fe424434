import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { chunkConversation } from "../../chunker/chunker.ts";
import type { Chunk } from "../../chunker/chunk.ts";
import { backoffDelay, parseRetryAfter } from "./backoff.ts";
import { defaultChatDeps, type ChatDeps } from "./chat-client.ts";
import { llmConfig, llmConfigFromEnv, type LlmConfig } from "./config.ts";
import { extractFactsWithLlm } from "./llm-extractor.ts";

/** A local server speaking the chat-completions wire format; `reply` decides each response. */
interface Fake {
  url: string;
  requests: { auth: string | undefined; body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown } }[];
  maxInFlight: number;
  close(): Promise<void>;
}

type Reply = (n: number, body: Fake["requests"][number]["body"]) => { status: number; headers?: Record<string, string>; body: unknown; delayMs?: number };

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

async function fakeApi(reply: Reply): Promise<Fake> {
  const fake: Fake = { url: "", requests: [], maxInFlight: 0, close: async () => {} };
  let inFlight = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw);
    if (req.url !== "/v1/chat/completions" || req.method !== "POST") {
      res.writeHead(404).end();
      inFlight--;
      return;
    }
    fake.requests.push({ auth: req.headers.authorization, body });
    const r = reply(fake.requests.length, body);
    if (r.delayMs) await new Promise((d) => setTimeout(d, r.delayMs));
    res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
    res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    inFlight--;
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function completion(content: string) {
  return { id: "chatcmpl-1", object: "chat.completion", created: 1, model: "test-model", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }] };
}

const FACTS = JSON.stringify({ facts: [{ kind: "place", key: "lives in: Lisbon", statement: "Lives in Lisbon", confidence: 0.9 }] });

async function chunks(n: number): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for (let i = 0; i < n; i++) {
    const { chunks } = await chunkConversation({ id: `c${i}`, source: "chatgpt", title: "t", createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-01-01T00:00:00.000Z", messages: [{ id: "m", role: "user", text: `I live in Lisbon (${i}).`, createdAt: "2024-01-01T00:00:00.000Z" }] });
    out.push(...chunks);
  }
  return out;
}

function recordingDeps(): ChatDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { ...defaultChatDeps, sleeps, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 };
}

function config(url: string, extra: Partial<LlmConfig> = {}): LlmConfig {
  return llmConfig({ baseUrl: url + "/", apiKey: "sk-test", model: "test-model", baseDelayMs: 100, maxDelayMs: 5000, ...extra });
}

describe("extractFactsWithLlm against a local chat-completions server", () => {
  it("extractFactsWithLlm() sends the chunk in the wire format and maps the reply to facts with chunk refs", async () => {
    const api = await fakeApi(() => ({ status: 200, body: completion(FACTS) }));
    const [chunk] = await chunks(1);
    const r = await extractFactsWithLlm([chunk!], config(api.url));
    expect(r.failures).toEqual([]);
    expect(api.requests).toHaveLength(1);
    const req = api.requests[0]!;
    expect(req.auth).toBe("Bearer sk-test");
    expect(req.body.model).toBe("test-model");
    expect(req.body.response_format).toEqual({ type: "json_object" });
    expect(req.body.messages[0]!.role).toBe("system");
    expect(req.body.messages[1]).toEqual({ role: "user", content: chunk!.text });
    expect(r.facts).toHaveLength(1);
    expect(r.facts[0]).toMatchObject({ kind: "place", key: "lives in lisbon", statement: "Lives in Lisbon", confidence: 0.9, sources: [{ type: "chunk", chunkId: chunk!.id, conversationId: "c0" }] });
  });

  it("chatCompletion() honours Retry-After on 429 and backs off with jitter on 503, then succeeds", async () => {
    const api = await fakeApi((n) =>
      n === 1 ? { status: 429, headers: { "retry-after": "2" }, body: { error: { message: "rate limited" } } } : n === 2 ? { status: 503, body: "overloaded" } : { status: 200, body: completion(FACTS) },
    );
    const deps = recordingDeps();
    const r = await extractFactsWithLlm(await chunks(1), config(api.url), deps);
    expect(r.failures).toEqual([]);
    expect(api.requests).toHaveLength(3);
    expect(deps.sleeps).toEqual([2000, 100]); // Retry-After 2 s; then 0.5 × min(cap, 100·2¹)
  });

  it("extractFactsWithLlm() reports a permanent failure after one request on 401", async () => {
    const api = await fakeApi(() => ({ status: 401, body: { error: { message: "Incorrect API key" } } }));
    const r = await extractFactsWithLlm(await chunks(1), config(api.url), recordingDeps());
    expect(api.requests).toHaveLength(1);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.error).toMatchObject({ kind: "permanent", status: 401 });
    expect(r.failures[0]!.error.message).toContain("Incorrect API key");
  });

  it("extractFactsWithLlm() gives up with a retryable failure after maxAttempts of 500s", async () => {
    const api = await fakeApi(() => ({ status: 500, body: "boom" }));
    const deps = recordingDeps();
    const r = await extractFactsWithLlm(await chunks(1), config(api.url, { maxAttempts: 4 }), deps);
    expect(api.requests).toHaveLength(4);
    expect(deps.sleeps).toEqual([50, 100, 200]);
    expect(r.failures[0]!.error.kind).toBe("retryable");
  });

  it("extractFactsWithLlm() treats a reply that is not the promised JSON as permanent", async () => {
    const api = await fakeApi(() => ({ status: 200, body: completion("Sure! The user lives in Lisbon.") }));
    const r = await extractFactsWithLlm(await chunks(1), config(api.url), recordingDeps());
    expect(r.failures[0]!.error.kind).toBe("permanent");
    const api2 = await fakeApi(() => ({ status: 200, body: completion(JSON.stringify({ facts: [{ kind: "astrology", key: "k", statement: "s", confidence: 2 }] })) }));
    expect((await extractFactsWithLlm(await chunks(1), config(api2.url), recordingDeps())).failures[0]!.error.kind).toBe("permanent");
  });

  it("extractFactsWithLlm() classifies a refused connection as retryable", async () => {
    const api = await fakeApi(() => ({ status: 200, body: completion(FACTS) }));
    await new Promise((r) => servers.pop()!.close(r));
    const r = await extractFactsWithLlm(await chunks(1), config(api.url, { maxAttempts: 2 }), recordingDeps());
    expect(r.failures[0]!.error.kind).toBe("retryable");
    expect(r.failures[0]!.error.message).toMatch(/network error/);
  });

  it("extractFactsWithLlm() keeps at most `concurrency` requests in flight", async () => {
    const api = await fakeApi(() => ({ status: 200, body: completion(FACTS), delayMs: 40 }));
    const r = await extractFactsWithLlm(await chunks(7), config(api.url, { concurrency: 2 }));
    expect(api.requests).toHaveLength(7);
    expect(api.maxInFlight).toBe(2);
    expect(r.facts.map((f) => f.sources[0]!.type === "chunk" && f.sources[0]!.conversationId)).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
  });
});

describe("llm config and backoff", () => {
  it("llmConfigFromEnv() is null until base URL, key and model are all set", () => {
    expect(llmConfigFromEnv({})).toBeNull();
    expect(llmConfigFromEnv({ ENGRAM_LLM_BASE_URL: "http://x/v1", ENGRAM_LLM_API_KEY: "k" })).toBeNull();
    expect(llmConfigFromEnv({ ENGRAM_LLM_BASE_URL: "http://x/v1/", ENGRAM_LLM_API_KEY: "k", ENGRAM_LLM_MODEL: "m", ENGRAM_LLM_CONCURRENCY: "3" })).toMatchObject({ baseUrl: "http://x/v1", concurrency: 3 });
    expect(() => llmConfigFromEnv({ ENGRAM_LLM_BASE_URL: "u", ENGRAM_LLM_API_KEY: "k", ENGRAM_LLM_MODEL: "m", ENGRAM_LLM_CONCURRENCY: "0" })).toThrow(RangeError);
  });

  it("parseRetryAfter() reads seconds and HTTP dates; backoffDelay() caps both", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(backoffDelay(10, { baseMs: 100, capMs: 1000, random: () => 0.999 })).toBe(999);
    expect(backoffDelay(1, { baseMs: 100, capMs: 1000, retryAfterMs: 60_000, random: () => 0 })).toBe(1000);
  });
});
