import { z } from "zod";

/**
 * The normalized conversation model (version {@link CONVERSATION_MODEL_VERSION}). One line of a
 * shard is one conversation. Field names listed in the issue (`id, title, createdAt, updatedAt,
 * model?, messages[{ id, role, text, createdAt }]`) are stable; fields are only ever added.
 */
export const CONVERSATION_MODEL_VERSION = 1;

/** An ISO-8601 UTC timestamp as produced by `Date.prototype.toISOString()`. */
export const IsoTime = z.iso.datetime({ offset: false, precision: 3 });

/** One visible turn of the dialogue. */
export const MessageSchema = z.strictObject({
  id: z.string().min(1),
  role: z.enum(["user", "assistant"]),
  text: z.string().min(1),
  createdAt: IsoTime,
  /** Model slug that wrote an assistant message, when the export says. */
  model: z.string().min(1).optional(),
});

/** One conversation: the visible thread only (current_node back to the root), oldest first. */
export const ConversationSchema = z.strictObject({
  id: z.string().min(1),
  source: z.enum(["chatgpt", "claude"]),
  title: z.string(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  model: z.string().min(1).optional(),
  messages: z.array(MessageSchema),
});

export type Message = z.infer<typeof MessageSchema>;
export type Conversation = z.infer<typeof ConversationSchema>;
export type Role = Message["role"];
