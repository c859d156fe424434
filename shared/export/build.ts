import type { Conversation, Message } from "../model/conversation.ts";

/** Fields of a conversation before it is given its fixed key order. */
export interface ConversationFields {
  id: string;
  source: Conversation["source"];
  title: string;
  createdAt: string;
  updatedAt: string;
  model: string | undefined;
  messages: Message[];
}

/**
 * Builds a {@link Conversation} with keys in the schema's order and no undefined-valued keys, so
 * `JSON.stringify` gives the same bytes in every runtime and after a zod round trip.
 */
export function buildConversation(f: ConversationFields): Conversation {
  if (f.model === undefined) {
    return { id: f.id, source: f.source, title: f.title, createdAt: f.createdAt, updatedAt: f.updatedAt, messages: f.messages };
  }
  return { id: f.id, source: f.source, title: f.title, createdAt: f.createdAt, updatedAt: f.updatedAt, model: f.model, messages: f.messages };
}
