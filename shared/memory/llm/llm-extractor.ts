import { z } from "zod";
import type { Chunk } from "../../chunker/chunk.ts";
import { FactKindSchema, type Fact } from "../fact.ts";
import { makeFact } from "../offline-extractor.ts";
import { chatCompletion, defaultChatDeps, type ChatDeps } from "./chat-client.ts";
import type { LlmConfig } from "./config.ts";
import { LlmError } from "./llm-error.ts";
import { mapPool } from "./pool.ts";

/** The reply we ask the model for. */
const ReplySchema = z.object({
  facts: z.array(
    z.object({
      kind: FactKindSchema,
      /** Short, normalizable handle ("lives in: Lisbon"). */
      key: z.string().min(1).max(200),
      statement: z.string().min(1).max(500),
      confidence: z.number().min(0).max(1),
    }),
  ),
});

export const EXTRACTION_PROMPT = `You extract durable facts the USER states about themselves from a chat transcript.
Only use the user's own statements ("User:" turns), never the assistant's. Skip hypotheticals, role-play and requests.
Reply with JSON: {"facts":[{"kind":"identity|work|place|person|preference|goal|project","key":"<slot>: <value>","statement":"<short third-person statement>","confidence":0..1}]}.
Reply {"facts":[]} when there are none.`;

/** A chunk the model could not process, and why. */
export interface LlmFailure {
  chunkId: string;
  error: LlmError;
}

/**
 * The LLM extractor: one chat completion per chunk (bounded concurrency, retries per
 * chatCompletion), replies validated with zod. Per-chunk failures are returned, not thrown, and
 * classified: retryable ones (rate limits, outages) are worth re-running later; permanent ones
 * (bad key, a reply that is not the promised JSON) are not.
 */
export async function extractFactsWithLlm(chunks: readonly Chunk[], config: LlmConfig, deps: ChatDeps = defaultChatDeps): Promise<{ facts: Fact[]; failures: LlmFailure[] }> {
  const failures: LlmFailure[] = [];
  const perChunk = await mapPool(chunks, config.concurrency, async (chunk) => {
    try {
      const content = await chatCompletion(config, [{ role: "system", content: EXTRACTION_PROMPT }, { role: "user", content: chunk.text }], deps);
      return await toFacts(chunk, content);
    } catch (e) {
      if (!(e instanceof LlmError)) throw e;
      failures.push({ chunkId: chunk.id, error: e });
      return [];
    }
  });
  return { facts: perChunk.flat(), failures };
}

async function toFacts(chunk: Chunk, content: string): Promise<Fact[]> {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (cause) {
    throw new LlmError("permanent", "expected the model to reply with JSON, found text", { cause });
  }
  const reply = ReplySchema.safeParse(value);
  if (!reply.success) throw new LlmError("permanent", `expected {"facts":[…]} from the model, found ${reply.error.issues[0]?.message ?? "another shape"}`);
  const out: Fact[] = [];
  for (const f of reply.data.facts) {
    out.push(await makeFact(f.kind, f.key, f.statement, Math.round(f.confidence * 100) / 100, { type: "chunk", chunkId: chunk.id, conversationId: chunk.conversationId, at: chunk.startAt }));
  }
  return out;
}
