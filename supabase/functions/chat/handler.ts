import { z } from "zod";
import { requireUser, userClient } from "../_shared/clients.ts";
import type { Env } from "../_shared/env.ts";
import { fromPostgrestError } from "../_shared/errors.ts";
import { json, readJson } from "../_shared/http.ts";
import { enforceRateLimit } from "../_shared/rate-limit.ts";
import { parseBody } from "../_shared/validate.ts";
import type { LlmConfig } from "../../../shared/memory/llm/config.ts";
import { answerQuestion } from "./answer.ts";
import { type MemoryHit, sourcesOf, toSearchQuery } from "./compose.ts";

/** `{ message }`: the question, 1–2000 characters. */
export const ChatBody = z.strictObject({
  message: z.string().trim().min(1, "message must not be empty").max(2000, "message is at most 2000 characters"),
});

/** What `chat` needs from its surroundings. */
export interface ChatDeps {
  env: Env;
  fetch?: typeof fetch;
  /** An OpenAI-compatible API for LLM-written answers; null = the offline answer. */
  llm?: LlmConfig | null;
}

/**
 * POST `{message}` with the user's JWT → 200 `{question, answer}`: searches the caller's own
 * memory through RLS (`search_memory`), writes an answer with its sources (LLM-written when one
 * is configured, else offline) and stores both messages atomically (`save_chat_exchange`). Rate
 * limited (`chat`).
 */
export async function handleChat(req: Request, deps: ChatDeps): Promise<Response> {
  const client = userClient(req, deps.env, deps.fetch);
  await requireUser(client, req);
  const { message } = parseBody(ChatBody, await readJson(req));
  await enforceRateLimit(client, "chat");

  const query = toSearchQuery(message);
  let hits: MemoryHit[] = [];
  if (query) {
    const { data, error } = await client.rpc("search_memory", { p_query: query, p_limit: 8 });
    if (error) throw fromPostgrestError(error, "search_memory");
    hits = (data ?? []) as MemoryHit[];
  }
  const answer = (await answerQuestion(message, hits, { llm: deps.llm })).text;
  const sources = sourcesOf(hits);
  const { data, error } = await client.rpc("save_chat_exchange", {
    p_question: message,
    p_answer: answer,
    p_sources: sources,
  });
  if (error) throw fromPostgrestError(error, "save_chat_exchange");
  return json(200, data);
}
