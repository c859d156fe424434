import { z } from "zod";
import { IsoTime } from "../model/conversation.ts";

/** One searchable piece of a conversation, carrying its conversation's title and time. */
export const ChunkSchema = z.strictObject({
  /** SHA-256 (hex) of conversation id, index and content hash: stable across runs. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  conversationId: z.string().min(1),
  index: z.number().int().nonnegative(),
  title: z.string(),
  /** When the conversation started. */
  conversationCreatedAt: IsoTime,
  /** Time of the first and last message the chunk covers. */
  startAt: IsoTime,
  endAt: IsoTime,
  text: z.string().min(1),
  /** Estimated tokens (see tokens.ts). */
  tokens: z.number().int().positive(),
  /** SHA-256 (hex) of `text`. */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** UTF-16 offsets of the chunk in the rendered conversation. */
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
});
export type Chunk = z.infer<typeof ChunkSchema>;
