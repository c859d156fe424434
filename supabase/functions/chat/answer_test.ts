import { llmConfig } from "../../../shared/memory/llm/config.ts";
import { answerQuestion } from "./answer.ts";
import type { MemoryHit } from "./compose.ts";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const hits: MemoryHit[] = [{
  kind: "chunk",
  id: "1",
  snippet: "I live in **Lisbon**",
  content: "I live in Lisbon with my cat.",
  conversation_id: "c1",
  conversation_title: "Moving",
  conversation_time: "2024-03-01T00:00:00Z",
  rank: 1,
}];

/** A local server speaking the chat-completions wire format; records what it was sent. */
function completionsServer(reply: (body: any) => Response) {
  const seen: any[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") return new Response("not found", { status: 404 });
    const body = await req.json();
    seen.push({ body, auth: req.headers.get("authorization") });
    return reply(body);
  });
  const config = llmConfig({
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    apiKey: "test-key",
    model: "test-model",
    maxAttempts: 1,
  });
  return { seen, config, close: () => server.shutdown() };
}

const completion = (content: string) =>
  Response.json({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }] });

Deno.test("answerQuestion() asks the configured LLM with the excerpts and returns its answer", async () => {
  const llm = completionsServer(() => completion(JSON.stringify({ answer: "You live in Lisbon." })));
  try {
    const result = await answerQuestion("Where do I live?", hits, { llm: llm.config });
    assert(result.by === "llm" && result.text === "You live in Lisbon.", `unexpected ${JSON.stringify(result)}`);
    const sent = llm.seen[0];
    assert(sent.auth === "Bearer test-key", "the API key is sent as a bearer token");
    assert(sent.body.model === "test-model", "the configured model is used");
    assert(String(sent.body.messages[1].content).includes("(Moving, 2024-03-01) I live in Lisbon"), "excerpts carry title and date");
  } finally {
    await llm.close();
  }
});

Deno.test("answerQuestion() falls back to the offline answer when the LLM fails", async () => {
  const llm = completionsServer(() => Response.json({ error: { message: "bad key" } }, { status: 401 }));
  try {
    const result = await answerQuestion("Where do I live?", hits, { llm: llm.config });
    assert(result.by === "offline" && result.text.includes("Lisbon"), `unexpected ${JSON.stringify(result)}`);
  } finally {
    await llm.close();
  }
});

Deno.test("answerQuestion() falls back when the LLM answers off-format", async () => {
  const llm = completionsServer(() => completion("not json"));
  try {
    const result = await answerQuestion("Where do I live?", hits, { llm: llm.config });
    assert(result.by === "offline", `unexpected ${JSON.stringify(result)}`);
  } finally {
    await llm.close();
  }
});

Deno.test("answerQuestion() does not call an LLM when memory has nothing", async () => {
  const llm = completionsServer(() => completion(JSON.stringify({ answer: "made up" })));
  try {
    const result = await answerQuestion("Where do I live?", [], { llm: llm.config });
    assert(result.by === "offline" && llm.seen.length === 0, "no request for an empty memory");
  } finally {
    await llm.close();
  }
});
