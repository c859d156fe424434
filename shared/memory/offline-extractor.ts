import type { ChunkedConversation } from "../chunker/chunker.ts";
import type { Conversation } from "../model/conversation.ts";
import type { CustomInstructions } from "../model/custom-instructions.ts";
import { sha256Hex } from "../util/sha256.ts";
import { normalizeKey, type Fact, type FactKind, type FactSource } from "./fact.ts";
import { NOT_ABOUT_ME, PATTERNS } from "./patterns.ts";

const FENCED_CODE = /```[\s\S]*?(?:```|$)/g;
const SENTENCE = /[^.!?\n。！？]+[.!?。！？]*/g;

/**
 * The default, deterministic extractor (no network): scans the user's own messages sentence by
 * sentence for first-person statements (see patterns.ts) and returns one fact per statement, with
 * the chunk(s) that contain it. Code blocks, questions about hypotheticals and stories are skipped;
 * a statement phrased as a question loses confidence.
 */
export async function extractFacts(conversation: Conversation, chunked: ChunkedConversation): Promise<Fact[]> {
  const facts: Fact[] = [];
  for (const span of chunked.spans) {
    const message = conversation.messages[span.index]!;
    if (message.role !== "user") continue;
    const text = message.text.replace(FENCED_CODE, (m) => " ".repeat(m.length));
    for (const sentence of text.matchAll(SENTENCE)) {
      const s = sentence[0];
      if (s.length < 6 || NOT_ABOUT_ME.test(s)) continue;
      for (const p of PATTERNS) {
        const m = p.re.exec(s);
        if (!m) continue;
        const value = clean(m[p.group ?? 1] ?? "");
        if (value.length < 2 || value.split(" ").length > 10) continue;
        const slot = typeof p.slot === "string" ? p.slot : p.slot(m);
        const offset = span.textStart + sentence.index! + m.index;
        const chunk = chunked.chunks.find((c) => c.start <= offset && offset < c.end) ?? chunked.chunks[0];
        if (!chunk) continue;
        const confidence = Math.max(0.1, p.confidence - (s.trim().endsWith("?") ? 0.2 : 0));
        const source: FactSource = { type: "chunk", chunkId: chunk.id, conversationId: conversation.id, at: message.createdAt };
        facts.push(await makeFact(p.kind, `${slot}: ${value}`, p.statement(value, m), round(confidence), source));
      }
    }
  }
  return facts;
}

/** Custom instructions are the user's own, deliberate description: facts with full confidence. */
export async function factsFromCustomInstructions(list: CustomInstructions[]): Promise<Fact[]> {
  const out: Fact[] = [];
  for (const ci of list) {
    const source: FactSource = { type: "custom_instructions", id: ci.id, at: ci.lastSeen };
    if (ci.aboutUser) out.push(await makeFact("identity", `about me: ${ci.aboutUser}`, `About me (custom instructions): ${ci.aboutUser}`, 1, { ...source, at: ci.lastSeen }, ci.firstSeen));
    if (ci.aboutModel) out.push(await makeFact("instruction", `respond: ${ci.aboutModel}`, `How to respond (custom instructions): ${ci.aboutModel}`, 1, source, ci.firstSeen));
  }
  return out;
}

/** Builds a fact whose id is derived from kind and normalized key. */
export async function makeFact(kind: FactKind, rawKey: string, statement: string, confidence: number, source: FactSource, firstSeen = source.at): Promise<Fact> {
  const key = normalizeKey(rawKey);
  return {
    id: await sha256Hex(`${kind}\u0000${key}`),
    kind,
    key,
    statement,
    confidence,
    mentions: 1,
    firstSeen,
    lastSeen: source.at,
    sources: [source],
  };
}

function clean(v: string): string {
  return v.replace(/\s+/g, " ").trim().replace(/[\s,;:-]+$/, "");
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
