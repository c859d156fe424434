import { ExportError, type ErrorPlace } from "../errors.ts";
import type { Conversation, Message } from "../model/conversation.ts";
import type { CustomInstructionsSighting } from "../model/custom-instructions.ts";
import { isoFromSeconds } from "../util/time.ts";
import { buildConversation } from "./build.ts";
import { describe, isObject, str, type JsonObject } from "./json-value.ts";

/** What one ChatGPT conversation normalizes to. */
export interface NormalizedItem {
  conversation: Conversation;
  customInstructions: CustomInstructionsSighting[];
}

/** Content types that are the dialogue; everything else (code, tool output, thoughts…) is not. */
const DIALOGUE_TYPES = new Set(["text", "multimodal_text"]);
const IMAGE_PART_TYPES = new Set(["image_asset_pointer"]);

/** Whether a parsed array element looks like a ChatGPT conversation. */
export function isChatGptConversation(v: unknown): v is JsonObject {
  return isObject(v) && isObject(v.mapping);
}

/**
 * Normalizes one ChatGPT conversation: the visible thread is the path from `current_node` back to
 * the root; a message is kept when a person would see it as the dialogue (role user/assistant,
 * addressed to all, not visually hidden, content `text`/`multimodal_text`, non-empty text). Custom
 * instructions found on the way are returned separately. Throws an {@link ExportError} when the
 * conversation cannot be normalized (missing or looping `current_node`, a message over the cap).
 */
export function normalizeChatGpt(raw: JsonObject, place: ErrorPlace, maxMessageChars: number): NormalizedItem {
  const mapping = raw.mapping as JsonObject;
  const id = str(raw.conversation_id) ?? str(raw.id);
  if (!id) throw new ExportError("wrong_shape", `expected a conversation id ("conversation_id" or "id"), found ${describe(raw.conversation_id ?? raw.id)}`, place);
  const path = visiblePath(mapping, raw.current_node, place);

  const messages: Message[] = [];
  const customInstructions: CustomInstructionsSighting[] = [];
  const convCreated = isoFromSeconds(raw.create_time);
  let lastModel: string | undefined;
  let firstTime: string | undefined;

  for (const node of path) {
    const msg = node.message;
    if (!isObject(msg)) continue;
    const at = isoFromSeconds(msg.create_time) ?? convCreated;
    firstTime ??= at;
    const sighting = customInstructionsOf(msg, at);
    if (sighting) customInstructions.push(sighting);
    const text = dialogueText(msg);
    if (text === undefined) continue;
    if (text.length > maxMessageChars) {
      throw new ExportError(
        "too_large",
        `expected messages of at most ${maxMessageChars} characters, found one of ${text.length} (message ${str(msg.id) ?? "?"})`,
        place,
      );
    }
    const role = (msg.author as JsonObject).role as "user" | "assistant";
    const metadata = isObject(msg.metadata) ? msg.metadata : {};
    const model = role === "assistant" ? str(metadata.model_slug) : undefined;
    if (model) lastModel = model;
    const message: Message = {
      id: str(msg.id) ?? (str(node.id) as string),
      role,
      text,
      createdAt: at ?? "",
    };
    if (model) message.model = model;
    messages.push(message);
  }

  const createdAt = convCreated ?? firstTime ?? isoFromSeconds(raw.update_time);
  if (!createdAt) throw new ExportError("wrong_shape", "expected a create_time on the conversation or its messages, found none", place);
  for (const m of messages) if (m.createdAt === "") m.createdAt = createdAt;
  const conversation = buildConversation({
    id,
    source: "chatgpt",
    title: typeof raw.title === "string" ? raw.title : "",
    createdAt,
    updatedAt: isoFromSeconds(raw.update_time) ?? createdAt,
    model: str(raw.default_model_slug) ?? lastModel,
    messages,
  });
  return { conversation, customInstructions };
}

/** The nodes from the root to `current_node`, oldest first. */
function visiblePath(mapping: JsonObject, current: unknown, place: ErrorPlace): JsonObject[] {
  if (typeof current !== "string" || current.length === 0) {
    throw new ExportError("missing_current_node", `expected "current_node" to name a node of the mapping, found ${describe(current)}`, place);
  }
  const path: JsonObject[] = [];
  const seen = new Set<string>();
  let id: string | null = current;
  while (id !== null) {
    const node = mapping[id];
    if (!isObject(node)) {
      if (id === current) {
        throw new ExportError("missing_current_node", `expected "current_node" ${JSON.stringify(current)} to be in the mapping, found no such node`, place);
      }
      throw new ExportError("broken_thread", `expected node ${JSON.stringify(id)} (a parent on the thread) in the mapping, found none`, place);
    }
    if (seen.has(id)) throw new ExportError("broken_thread", `expected the thread from current_node to reach a root, found a loop at node ${JSON.stringify(id)}`, place);
    seen.add(id);
    path.push(node);
    const parent: unknown = node.parent;
    id = typeof parent === "string" && parent.length > 0 ? parent : null;
  }
  return path.reverse();
}

/** The text a person sees for this message, or undefined when it is not part of the dialogue. */
function dialogueText(msg: JsonObject): string | undefined {
  const author = msg.author;
  if (!isObject(author) || (author.role !== "user" && author.role !== "assistant")) return undefined;
  const recipient = msg.recipient;
  if (recipient !== undefined && recipient !== null && recipient !== "all") return undefined;
  const metadata = msg.metadata;
  if (isObject(metadata) && metadata.is_visually_hidden_from_conversation === true) return undefined;
  const content = msg.content;
  if (!isObject(content) || typeof content.content_type !== "string" || !DIALOGUE_TYPES.has(content.content_type)) return undefined;
  const parts = Array.isArray(content.parts) ? content.parts : [];
  const pieces: string[] = [];
  let hasText = false;
  for (const part of parts) {
    if (typeof part === "string") {
      if (part.trim().length > 0) hasText = true;
      if (part.length > 0) pieces.push(part);
    } else if (isObject(part)) {
      if (part.content_type === "audio_transcription" && typeof part.text === "string") {
        if (part.text.trim().length > 0) hasText = true;
        if (part.text.length > 0) pieces.push(part.text);
      } else if (typeof part.content_type === "string" && IMAGE_PART_TYPES.has(part.content_type)) {
        pieces.push("[image]");
      }
    }
  }
  return hasText ? pieces.join("\n") : undefined;
}

/** Custom instructions carried by this message, in either of the two forms exports use. */
function customInstructionsOf(msg: JsonObject, at: string | undefined): CustomInstructionsSighting | undefined {
  if (!at) return undefined;
  const content = msg.content;
  if (isObject(content) && content.content_type === "user_editable_context") {
    const aboutUser = unwrap(content.user_profile);
    const aboutModel = unwrap(content.user_instructions);
    if (aboutUser || aboutModel) return { aboutUser, aboutModel, at };
  }
  const metadata = msg.metadata;
  if (isObject(metadata) && isObject(metadata.user_context_message_data)) {
    const data = metadata.user_context_message_data;
    const aboutUser = typeof data.about_user_message === "string" ? data.about_user_message.trim() : "";
    const aboutModel = typeof data.about_model_message === "string" ? data.about_model_message.trim() : "";
    if (aboutUser || aboutModel) return { aboutUser, aboutModel, at };
  }
  return undefined;
}

/**
 * `user_editable_context` texts wrap the user's words in a preamble and a ``` fence; keep only the
 * fenced words when the fence is there.
 */
function unwrap(v: unknown): string {
  if (typeof v !== "string") return "";
  const fenced = /```\s*\n?([\s\S]*?)\n?```\s*$/.exec(v);
  return (fenced ? fenced[1]! : v).trim();
}
