import { ExportError, isExportError } from "../errors.ts";
import { JsonArraySplitter, type ResumePoint } from "../json/array-splitter.ts";
import type { ExportLimits } from "../limits.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { isChatGptConversation, normalizeChatGpt, type NormalizedItem } from "./chatgpt.ts";
import { isClaudeConversation, normalizeClaude } from "./claude.ts";
import { describe } from "./json-value.ts";

/** Outcome of one array element of a conversations file. */
export type PartItem =
  | { kind: "conversation"; item: NormalizedItem; format: "chatgpt" | "claude" }
  | { kind: "failed"; error: ExportError };

/**
 * Reads one conversations file (`conversations.json`, a split `conversations-NNN.json`, or a
 * Claude `conversations.json`) as a stream of bytes, one conversation at a time.
 *
 * Corruption of the file (invalid UTF-8, invalid JSON, truncation, a top level that is not an array,
 * or no element that is a known conversation) throws; problems of one conversation (too large,
 * missing/looping `current_node`, a missing id) become `failed` items and reading goes on.
 */
export class JsonPart {
  private readonly splitter: JsonArraySplitter;
  private readonly name: string;
  private unrecognized = 0;
  private firstUnrecognized = "";
  private elements = 0;

  constructor(name: string, limits: ExportLimits, emit: (item: PartItem) => void, resumeAt?: ResumePoint) {
    this.name = name;
    this.splitter = new JsonArraySplitter({
      part: name,
      ...(resumeAt ? { resumeAt } : {}),
      maxElementBytes: limits.maxConversationBytes,
      onElement: (bytes, index, offset) => {
        this.elements++;
        const place = { part: name, index, offset };
        const text = decodeUtf8(bytes, place);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (cause) {
          const detail = cause instanceof Error ? cause.message : String(cause);
          throw new ExportError("invalid_json", `expected valid JSON for the conversation, found: ${detail}`, place, { cause });
        }
        try {
          if (isChatGptConversation(value)) {
            emit({ kind: "conversation", format: "chatgpt", item: normalizeChatGpt(value, place, limits.maxMessageChars) });
          } else if (isClaudeConversation(value)) {
            emit({ kind: "conversation", format: "claude", item: normalizeClaude(value, place, limits.maxMessageChars) });
          } else {
            if (this.unrecognized++ === 0) this.firstUnrecognized = describe(value);
            emit({
              kind: "failed",
              error: new ExportError(
                "wrong_shape",
                `expected a ChatGPT conversation (with "mapping") or a Claude conversation (with "chat_messages"), found ${describe(value)}`,
                place,
              ),
            });
          }
        } catch (e) {
          if (!isExportError(e)) throw e;
          emit({ kind: "failed", error: e });
        }
      },
      onOversized: (index, offset, size) => {
        this.elements++;
        emit({
          kind: "failed",
          error: new ExportError(
            "too_large",
            `expected a conversation of at most ${limits.maxConversationBytes} bytes, found one of ${size} bytes`,
            { part: name, index, offset },
          ),
        });
      },
    });
  }

  /** Where a later run can resume (after the last complete conversation). */
  get checkpoint(): ResumePoint | null {
    return this.splitter.checkpoint;
  }

  /** Feeds bytes of the file. */
  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /** Ends the file; throws when it was truncated or held nothing we recognize. */
  end(): void {
    this.splitter.end();
    if (this.elements > 0 && this.unrecognized === this.elements) {
      throw new ExportError(
        "wrong_shape",
        `expected an array of ChatGPT or Claude conversations, found ${this.elements} element(s) like ${this.firstUnrecognized}`,
        { part: this.name },
      );
    }
  }
}
