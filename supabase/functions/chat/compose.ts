/** One hit of `search_memory`. */
export interface MemoryHit {
  kind: "chunk" | "fact";
  id: string;
  snippet: string;
  content: string;
  conversation_id: string | null;
  conversation_title: string | null;
  conversation_time: string | null;
  rank: number;
}

/** A source shown under an answer. */
export interface AnswerSource {
  conversation_id: string;
  conversation_title: string | null;
  conversation_time: string | null;
  snippet: string;
}

/** Words too common to search for; the rest of a question is searched with OR for recall. */
const STOP = new Set(
  ("a an and are as at be but by can could did do does for from had has have how i i'm if in is it its " +
    "me my myself of on or our so that the their them then there these they this to was we were what " +
    "when where which who whom why will with would you your about tell know remember any").split(" "),
);

/**
 * Turns a question into a websearch query that matches any of its meaningful words
 * (`search_memory` uses `websearch_to_tsquery`, where plain words are ANDed).
 */
export function toSearchQuery(question: string): string {
  const words = question
    .toLowerCase()
    .normalize("NFKC")
    .split(/[^\p{L}\p{N}'-]+/u)
    .map((w) => w.replace(/^['-]+|['-]+$/g, "").replace(/'s$/, ""))
    .filter((w) => w.length > 1 && !STOP.has(w));
  return [...new Set(words)].slice(0, 12).join(" or ");
}

/** Distinct conversations behind the hits, best first, at most `max`. */
export function sourcesOf(hits: MemoryHit[], max = 5): AnswerSource[] {
  const seen = new Set<string>();
  const out: AnswerSource[] = [];
  for (const hit of hits) {
    if (!hit.conversation_id || seen.has(hit.conversation_id)) continue;
    seen.add(hit.conversation_id);
    out.push({
      conversation_id: hit.conversation_id,
      conversation_title: hit.conversation_title,
      conversation_time: hit.conversation_time,
      snippet: hit.snippet,
    });
    if (out.length === max) break;
  }
  return out;
}

function plain(snippet: string): string {
  return snippet.replace(/\*\*/g, "").replace(/\s+/g, " ").trim();
}

/**
 * The offline answer: what memory says, facts first, each with where it came from. Used when no
 * LLM is configured, and as the LLM's fallback.
 */
export function composeAnswer(hits: MemoryHit[]): string {
  if (hits.length === 0) {
    return "I couldn't find anything about that in your memory yet. Try other words, or import more of your history.";
  }
  const facts = hits.filter((h) => h.kind === "fact").slice(0, 3);
  const chunks = hits.filter((h) => h.kind === "chunk").slice(0, 3);
  const lines = ["Here is what your memory says:"];
  for (const f of facts) lines.push(`• ${plain(f.content || f.snippet)}`);
  for (const c of chunks) {
    const where = c.conversation_title ? ` (from “${c.conversation_title}”)` : "";
    lines.push(`• …${plain(c.snippet)}…${where}`);
  }
  return lines.join("\n");
}
