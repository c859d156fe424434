import { ExportError, type ErrorPlace } from "../errors.ts";
import type { Message } from "../model/conversation.ts";
import { isoFromString } from "../util/time.ts";
import { buildConversation } from "./build.ts";
import type { NormalizedItem } from "./chatgpt.ts";
import { describe, isObject, str, type JsonObject } from "./json-value.ts";

/** Whether a parsed array element looks like a Claude.ai conversation. */
export function isClaudeConversation(v: unknown): v is JsonObject {
  return isObject(v) && Array.isArray(v.chat_messages);
}

/**
 * Normalizes one Claude.ai conversation (`uuid`, `name`, `chat_messages[{ uuid, sender, text,
 * content[] }]`). Only `text` content blocks are the dialogue (not `thinking`, `tool_use`,
 * `tool_result`). When messages carry `parent_message_uuid` and the conversation names its
 * `current_leaf_message_uuid`, the visible thread is the path from that leaf to the root, as for
 * ChatGPT; otherwise messages are taken in order.
 */
export function normalizeClaude(raw: JsonObject, place: ErrorPlace, maxMessageChars: number): NormalizedItem {
  const id = str(raw.uuid);
  if (!id) throw new ExportError("wrong_shape", `expected a conversation "uuid", found ${describe(raw.uuid)}`, place);
  const all = (raw.chat_messages as unknown[]).filter(isObject);
  const thread = threadOf(all, raw.current_leaf_message_uuid, place);
  const createdAt = isoFromString(raw.created_at) ?? firstTime(thread);
  if (!createdAt) throw new ExportError("wrong_shape", "expected a created_at on the conversation or its messages, found none", place);

  const messages: Message[] = [];
  for (const m of thread) {
    const role = m.sender === "human" ? "user" : m.sender === "assistant" ? "assistant" : undefined;
    if (!role) continue;
    const text = textOf(m);
    if (text === undefined) continue;
    if (text.length > maxMessageChars) {
      throw new ExportError("too_large", `expected messages of at most ${maxMessageChars} characters, found one of ${text.length} (message ${str(m.uuid) ?? "?"})`, place);
    }
    messages.push({ id: str(m.uuid) ?? `${id}:${messages.length}`, role, text, createdAt: isoFromString(m.created_at) ?? createdAt });
  }
  const conversation = buildConversation({
    id,
    source: "claude",
    title: typeof raw.name === "string" ? raw.name : "",
    createdAt,
    updatedAt: isoFromString(raw.updated_at) ?? createdAt,
    model: str(raw.model),
    messages,
  });
  return { conversation, customInstructions: [] };
}

function firstTime(messages: JsonObject[]): string | undefined {
  for (const m of messages) {
    const t = isoFromString(m.created_at);
    if (t) return t;
  }
  return undefined;
}

function threadOf(all: JsonObject[], leaf: unknown, place: ErrorPlace): JsonObject[] {
  if (typeof leaf !== "string" || !all.some((m) => typeof m.parent_message_uuid === "string")) return all;
  const byId = new Map<string, JsonObject>();
  for (const m of all) if (typeof m.uuid === "string") byId.set(m.uuid, m);
  if (!byId.has(leaf)) {
    throw new ExportError("missing_current_node", `expected "current_leaf_message_uuid" ${JSON.stringify(leaf)} among the messages, found none`, place);
  }
  const path: JsonObject[] = [];
  const seen = new Set<string>();
  let id: string | undefined = leaf;
  while (id !== undefined) {
    const m = byId.get(id);
    if (!m) break; // Claude roots point at a sentinel parent id that is not a message.
    if (seen.has(id)) throw new ExportError("broken_thread", `expected the thread to reach a root, found a loop at message ${JSON.stringify(id)}`, place);
    seen.add(id);
    path.push(m);
    id = typeof m.parent_message_uuid === "string" ? m.parent_message_uuid : undefined;
  }
  return path.reverse();
}

function textOf(m: JsonObject): string | undefined {
  let text: string;
  if (Array.isArray(m.content) && m.content.length > 0) {
    text = m.content
      .filter((c): c is JsonObject => isObject(c) && c.type === "text" && typeof c.text === "string")
      .map((c) => c.text as string)
      .join("\n");
  } else text = typeof m.text === "string" ? m.text : "";
  return text.trim().length > 0 ? text : undefined;
}
