import { useRef, type FormEvent } from "react";
import { useAskMemory } from "../api/ask-memory.ts";
import { useMessages, type ChatSource } from "../api/get-messages.ts";

function formatDate(iso: string | null): string {
  if (!iso) return "undated";
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function Sources({ sources }: { sources: ChatSource[] }) {
  if (sources.length === 0) return null;
  return (
    <ul className="sources" aria-label="Sources">
      {sources.map((s, i) => (
        <li key={`${s.conversation_id}-${i}`}>
          <cite>{s.conversation_title || "Untitled conversation"}</cite> · {formatDate(s.conversation_time)}
        </li>
      ))}
    </ul>
  );
}

/** Chat with your memory: answers come from your own conversations, with their sources. */
export default function ChatPage({ userId }: { userId: string }) {
  const messages = useMessages(userId);
  const ask = useAskMemory(userId);
  const input = useRef<HTMLTextAreaElement>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const question = input.current?.value.trim();
    if (!question) return;
    ask.mutate(question, { onSuccess: () => input.current && (input.current.value = "") });
  };

  return (
    <section aria-labelledby="chat-title">
      <h1 id="chat-title">Chat with your memory</h1>
      {messages.isError ? <p role="alert">{messages.error.message}</p> : null}
      <ol className="messages" aria-live="polite">
        {(messages.data ?? []).map((m) => (
          <li key={m.id} className={`message message-${m.role}`} data-role={m.role}>
            <p>{m.content}</p>
            {m.role === "assistant" && m.sources ? <Sources sources={m.sources} /> : null}
          </li>
        ))}
      </ol>
      <form onSubmit={submit} className="card" aria-label="Ask your memory">
        <label>
          Ask something about yourself or your past conversations
          <textarea ref={input} name="message" rows={2} maxLength={2000} required />
        </label>
        {ask.isError ? <p role="alert" className="form-error">{ask.error.message}</p> : null}
        <button type="submit" disabled={ask.isPending}>
          {ask.isPending ? "Searching…" : "Ask"}
        </button>
      </form>
    </section>
  );
}
