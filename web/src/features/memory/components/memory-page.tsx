import { useMemoryFacts, type MemoryFact } from "../api/get-memory-facts.ts";
import { useMemoryProfile, type MemoryProfile } from "../api/get-memory-profile.ts";
import { ActivityChart } from "./activity-chart.tsx";
import { ProfileMarkdown } from "./profile-markdown.tsx";

function topicsOf(stats: MemoryProfile["stats"]): string[] {
  const raw = stats?.top_topics ?? [];
  return raw.map((t) => (typeof t === "string" ? t : t.topic)).slice(0, 12);
}

/** Conversations per month from the profile stats (`activity` values are objects or plain counts). */
export function conversationsByMonth(stats: MemoryProfile["stats"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [month, value] of Object.entries(stats?.activity ?? {})) {
    out[month] = typeof value === "number" ? value : (value?.conversations ?? 0);
  }
  return out;
}

function formatDate(iso: string | null | undefined): string {
  if (!iso) return "undated";
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function FactSources({ sources }: { sources: MemoryFact["sources"] }) {
  if (!sources || sources.length === 0) return null;
  return (
    <ul className="sources" aria-label="Sources">
      {sources.slice(0, 3).map((s, i) => (
        <li key={`${s.conversation_id}-${i}`}>
          <cite>{s.conversation_title || "Untitled conversation"}</cite> · {formatDate(s.conversation_time)}
        </li>
      ))}
      {sources.length > 3 ? <li className="muted">and {sources.length - 3} more</li> : null}
    </ul>
  );
}

/** What Engram remembers: the profile, the facts with their sources, and activity over time. */
export default function MemoryPage({ userId }: { userId: string }) {
  const profile = useMemoryProfile(userId);
  const facts = useMemoryFacts(userId);
  const stats = profile.data?.stats ?? null;
  const topics = topicsOf(stats);

  return (
    <section aria-labelledby="memory-title">
      <h1 id="memory-title">Your memory</h1>
      {profile.isPending ? <p aria-busy="true">Loading your memory…</p> : null}
      {profile.isError ? <p role="alert">{profile.error.message}</p> : null}
      {profile.data === null ? <p>No memory yet — import your ChatGPT export first.</p> : null}
      {profile.data ? (
        <>
          {profile.data.partial ? (
            <p className="muted">Built from part of your export; it fills in as deep memory finishes.</p>
          ) : null}
          <div className="card">
            <h2>Your conversations over time</h2>
            {stats?.conversations !== undefined ? (
              <p>
                {stats.conversations.toLocaleString()} conversations
                {stats.messages !== undefined ? `, ${stats.messages.toLocaleString()} messages` : ""}
                {stats.date_from && stats.date_to ? `, ${formatDate(stats.date_from)} – ${formatDate(stats.date_to)}` : ""}
              </p>
            ) : null}
            <ActivityChart byMonth={conversationsByMonth(stats)} />
            {topics.length > 0 ? (
              <>
                <h3>Top topics</h3>
                <ul className="topics" aria-label="Top topics">
                  {topics.map((t) => (
                    <li key={t}>{t}</li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
          <div className="card">
            <h2>Profile</h2>
            <ProfileMarkdown markdown={profile.data.markdown} />
          </div>
        </>
      ) : null}
      <div className="card">
        <h2>Facts</h2>
        {facts.isError ? <p role="alert">{facts.error.message}</p> : null}
        {facts.data && facts.data.length === 0 ? <p className="muted">No facts yet.</p> : null}
        <ul className="facts">
          {(facts.data ?? []).map((f) => (
            <li key={f.fact_key}>
              {f.statement}{" "}
              <span className="muted">
                ({f.category}, {Math.round(f.confidence * 100)} % sure)
              </span>
              <FactSources sources={f.sources} />
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
