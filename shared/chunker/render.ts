import type { Conversation } from "../model/conversation.ts";

/** A message's place in the rendered conversation text. */
export interface MessageSpan {
  index: number;
  /** Offset of the message's label ("User: "). */
  start: number;
  /** Offset where the message's own text starts (after the "User: " label). */
  textStart: number;
  end: number;
}

/** The conversation as one text ("User: …\n\nAssistant: …") plus where each message lies in it. */
export interface RenderedConversation {
  text: string;
  spans: MessageSpan[];
}

const LABEL = { user: "User: ", assistant: "Assistant: " } as const;

/** Renders the dialogue as plain text for chunking and search. */
export function renderConversation(c: Conversation): RenderedConversation {
  const pieces: string[] = [];
  const spans: MessageSpan[] = [];
  let offset = 0;
  c.messages.forEach((m, index) => {
    if (index > 0) {
      pieces.push("\n\n");
      offset += 2;
    }
    const label = LABEL[m.role];
    pieces.push(label, m.text);
    spans.push({ index, start: offset, textStart: offset + label.length, end: offset + label.length + m.text.length });
    offset += label.length + m.text.length;
  });
  return { text: pieces.join(""), spans };
}
