import type { Conversation } from "../model/conversation.ts";
import { monthOf } from "../util/time.ts";
import { STOPWORDS } from "./stopwords.ts";

/** Term counts per month (`YYYY-MM` → term → conversations mentioning it): mergeable across shards. */
export type TopicCounts = Record<string, Record<string, number>>;

/** Conversation and message counts per month: mergeable across shards. */
export type ActivityByMonth = Record<string, { conversations: number; messages: number; userMessages: number }>;

const TERM = /\p{L}[\p{L}\p{N}'’-]{3,30}/gu;

/** Terms of the title and the user's messages, counted once per conversation (title counts double). */
export function conversationTerms(c: Conversation): Map<string, number> {
  const terms = new Map<string, number>();
  const add = (text: string, weight: number) => {
    for (const m of text.matchAll(TERM)) {
      const t = m[0].toLowerCase().replace(/['’-]+$/, "");
      if (t.length < 4 || STOPWORDS.has(t)) continue;
      terms.set(t, Math.max(terms.get(t) ?? 0, weight));
    }
  };
  for (const m of c.messages) if (m.role === "user") add(m.text.length > 20000 ? m.text.slice(0, 20000) : m.text, 1);
  add(c.title, 2);
  return terms;
}

/** Adds one conversation to per-month topic counts (by the conversation's month). */
export function addTopics(into: TopicCounts, c: Conversation): void {
  const month = monthOf(c.createdAt);
  const bucket = (into[month] ??= {});
  for (const [t, w] of conversationTerms(c)) bucket[t] = (bucket[t] ?? 0) + w;
}

/** Adds one conversation to the activity by month. */
export function addActivity(into: ActivityByMonth, c: Conversation): void {
  const month = monthOf(c.createdAt);
  const a = (into[month] ??= { conversations: 0, messages: 0, userMessages: 0 });
  a.conversations++;
  a.messages += c.messages.length;
  for (const m of c.messages) if (m.role === "user") a.userMessages++;
}

/** Keeps the `keep` strongest terms of each month (bounds what a shard's partial result stores). */
export function pruneTopics(counts: TopicCounts, keep = 50): TopicCounts {
  const out: TopicCounts = {};
  for (const month of Object.keys(counts).sort()) {
    out[month] = Object.fromEntries(rankTerms(counts[month]!).slice(0, keep));
  }
  return out;
}

/** Sums partial topic counts (from several shards). */
export function mergeTopics(...parts: TopicCounts[]): TopicCounts {
  const out: TopicCounts = {};
  for (const p of parts) {
    for (const [month, terms] of Object.entries(p)) {
      const bucket = (out[month] ??= {});
      for (const [t, n] of Object.entries(terms)) bucket[t] = (bucket[t] ?? 0) + n;
    }
  }
  return out;
}

/** Sums partial activity (from several shards). */
export function mergeActivity(...parts: ActivityByMonth[]): ActivityByMonth {
  const out: ActivityByMonth = {};
  for (const p of parts) {
    for (const [month, a] of Object.entries(p)) {
      const b = (out[month] ??= { conversations: 0, messages: 0, userMessages: 0 });
      b.conversations += a.conversations;
      b.messages += a.messages;
      b.userMessages += a.userMessages;
    }
  }
  return out;
}

/** Terms by count, then alphabetically (deterministic). */
export function rankTerms(terms: Record<string, number>): [string, number][] {
  return Object.entries(terms).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Top terms over the whole period. */
export function topTopics(counts: TopicCounts, n = 10): [string, number][] {
  const all: Record<string, number> = {};
  for (const terms of Object.values(counts)) for (const [t, c] of Object.entries(terms)) all[t] = (all[t] ?? 0) + c;
  return rankTerms(all).slice(0, n);
}
