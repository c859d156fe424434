import { useEffect, useRef, type FormEvent, type KeyboardEvent } from "react";
import { Link } from "react-router-dom";
import { useImportStatus } from "../../import-status/api/get-import-status.ts";
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
  const status = useImportStatus(userId);
  const input = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const count = messages.data?.length ?? 0;

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [count]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const question = input.current?.value.trim();
    if (!question || ask.isPending) return;
    ask.mutate(question, {
      onSuccess: () => {
        if (input.current) input.current.value = "";
      },
      onSettled: () => input.current?.focus(),
    });
  };

  // Enter sends, Shift+Enter starts a new line.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };
  const importState = status.data?.import_status;

  return (
    <section aria-labelledby="chat-title">
      <h1 id="chat-title">Chat with your memory</h1>
      {importState === "none" ? (
        <p className="card">
          Your memory is empty so far. <Link to="/import">Import your ChatGPT export</Link> — you can chat a few seconds
          after it is uploaded.
        </p>
      ) : null}
      {importState === "processing" && status.data?.full_pass_status === "pending" ? (
        <p className="card muted">Your export is being read; answers get better as soon as the first results are in.</p>
      ) : null}
      {messages.isError ? <p role="alert">{messages.error.message}</p> : null}
      <ol className="messages" aria-live="polite">
        {(messages.data ?? []).map((m) => (
          <li key={m.id} className={`message message-${m.role}`} data-role={m.role}>
            <p>{m.content}</p>
            {m.role === "assistant" && m.sources ? <Sources sources={m.sources} /> : null}
          </li>
        ))}
      </ol>
      <div ref={end} />
      <form onSubmit={submit} className="card" aria-label="Ask your memory">
        <label>
          Ask something about yourself or your past conversations
          <textarea ref={input} name="message" rows={2} maxLength={2000} required onKeyDown={onKeyDown} aria-describedby="chat-hint" />
        </label>
        <p id="chat-hint" className="muted">Enter to send, Shift+Enter for a new line.</p>
        {ask.isError ? <p role="alert" className="form-error">{ask.error.message}</p> : null}
        <button type="submit" disabled={ask.isPending}>
          {ask.isPending ? "Searching…" : "Ask"}
        </button>
      </form>
    </section>
  );
}
