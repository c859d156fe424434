import { z } from "zod";
import { IsoTime } from "./conversation.ts";

/**
 * One version of the user's custom instructions ("What should ChatGPT know about you?" /
 * "How should ChatGPT respond?"). Exports repeat them in every conversation as hidden
 * `user_editable_context` messages or `user_context_message_data` metadata; we keep each distinct
 * version once, with when it was first and last seen.
 */
export const CustomInstructionsSchema = z.strictObject({
  /** SHA-256 (hex) of the two texts: stable across runs. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  aboutUser: z.string(),
  aboutModel: z.string(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  /** How many conversations carried this version. */
  conversations: z.number().int().positive(),
});

export type CustomInstructions = z.infer<typeof CustomInstructionsSchema>;

/** A sighting of custom instructions inside one conversation, before deduplication. */
export interface CustomInstructionsSighting {
  aboutUser: string;
  aboutModel: string;
  at: string;
}
