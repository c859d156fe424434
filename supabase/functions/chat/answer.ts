import { chatCompletion, type ChatDeps, defaultChatDeps } from "../../../shared/memory/llm/chat-client.ts";
import type { LlmConfig } from "../../../shared/memory/llm/config.ts";
import { composeAnswer, type MemoryHit } from "./compose.ts";

/** How the answer was written. */
export type AnswerSourceKind = "llm" | "offline";

/** The instruction an LLM gets: answer from the excerpts only, as JSON. */
export const ANSWER_PROMPT =
  "You answer a person's question about themselves using ONLY the excerpts below, which come from " +
  "their own past ChatGPT conversations (title and date given). Be brief and concrete, speak to " +
  'them as "you", and say so plainly when the excerpts do not contain the answer. Reply as JSON: ' +
  '{"answer": "<text>"}.';

function excerpts(hits: MemoryHit[]): string {
  return hits
    .map((h, i) => {
      const when = h.conversation_time ? h.conversation_time.slice(0, 10) : "undated";
      const title = h.conversation_title ?? (h.kind === "fact" ? "remembered fact" : "untitled");
      return `[${i + 1}] (${title}, ${when}) ${(h.content || h.snippet).slice(0, 1500)}`;
    })
    .join("\n");
}

/**
 * The answer to `question` from `hits`: LLM-written when `llm` is configured and there is
 * something to answer from, otherwise (or when the LLM fails or answers off-format) the offline
 * answer, so a chat never fails because of the model.
 */
export async function answerQuestion(
  question: string,
  hits: MemoryHit[],
  options: { llm?: LlmConfig | null; deps?: ChatDeps } = {},
): Promise<{ text: string; by: AnswerSourceKind }> {
  if (!options.llm || hits.length === 0) return { text: composeAnswer(hits), by: "offline" };
  try {
    const content = await chatCompletion(
      options.llm,
      [
        { role: "system", content: ANSWER_PROMPT },
        { role: "user", content: `Excerpts:\n${excerpts(hits.slice(0, 8))}\n\nQuestion: ${question}` },
      ],
      options.deps ?? defaultChatDeps,
    );
    const answer = (JSON.parse(content) as { answer?: unknown }).answer;
    if (typeof answer === "string" && answer.trim()) return { text: answer.trim().slice(0, 8000), by: "llm" };
  } catch (error) {
    console.error("chat: the LLM answer failed, using the offline answer:", error instanceof Error ? error.message : error);
  }
  return { text: composeAnswer(hits), by: "offline" };
}
