import { z } from "zod";
import { IsoTime } from "../model/conversation.ts";

/** What a fact is about. */
export const FactKindSchema = z.enum(["identity", "work", "place", "person", "preference", "goal", "project", "instruction"]);
export type FactKind = z.infer<typeof FactKindSchema>;

/** Where a fact came from: a chunk of a conversation, or a version of the custom instructions. */
export const FactSourceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("chunk"), chunkId: z.string(), conversationId: z.string(), at: IsoTime }),
  z.strictObject({ type: z.literal("custom_instructions"), id: z.string(), at: IsoTime }),
]);
export type FactSource = z.infer<typeof FactSourceSchema>;

/** One thing learned about the user. Facts with the same `id` (kind + normalized key) are merged. */
export const FactSchema = z.strictObject({
  /** SHA-256 (hex) of kind and key: the dedupe key across shards and runs. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  kind: FactKindSchema,
  /** Normalized key (lower case, no accents or punctuation) — what "the same fact" means. */
  key: z.string().min(1),
  /** The fact as a short statement ("Lives in Lisbon"). */
  statement: z.string().min(1),
  /** 0..1: how sure the extractor is. */
  confidence: z.number().min(0).max(1),
  /** How many times it was stated. */
  mentions: z.number().int().positive(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  /** Up to {@link MAX_SOURCES} sources, earliest first. */
  sources: z.array(FactSourceSchema),
});
export type Fact = z.infer<typeof FactSchema>;

/** Sources kept per fact. */
export const MAX_SOURCES = 10;

/** Lower case, accents and punctuation removed, spaces collapsed. */
export function normalizeKey(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
