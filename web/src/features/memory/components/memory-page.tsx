import { useMemoryFacts } from "../api/get-memory-facts.ts";
import { useMemoryProfile, type MemoryProfile } from "../api/get-memory-profile.ts";
import { ActivityChart } from "./activity-chart.tsx";

function topicsOf(stats: MemoryProfile["stats"]): string[] {
  const raw = stats?.top_topics ?? stats?.topTopics ?? [];
  return raw.map((t) => (typeof t === "string" ? t : t.topic)).slice(0, 12);
}

/** What Engram remembers: the profile, the facts with their sources, and activity over time. */
export default function MemoryPage({ userId }: { userId: string }) {
  const profile = useMemoryProfile(userId);
  const facts = useMemoryFacts(userId);
  const stats = profile.data?.stats ?? null;
  const byMonth = stats?.activity_by_month ?? stats?.activityByMonth ?? {};
  const topics = topicsOf(stats);

  return (
    <section aria-labelledby="memory-title">
      <h1 id="memory-title">Your memory</h1>
      {profile.isError ? <p role="alert">{profile.error.message}</p> : null}
      {profile.data === null ? <p>No memory yet — import your ChatGPT export first.</p> : null}
      {profile.data ? (
        <>
          {profile.data.partial ? (
            <p className="muted">Built from part of your export; it fills in as the deep pass finishes.</p>
          ) : null}
          <div className="card">
            <ActivityChart byMonth={byMonth} />
            {topics.length > 0 ? (
              <p>
                <strong>Top topics:</strong> {topics.join(", ")}
              </p>
            ) : null}
          </div>
          <div className="card">
            <h2>Profile</h2>
            <pre style={{ whiteSpace: "pre-wrap", font: "inherit" }}>{profile.data.markdown}</pre>
          </div>
        </>
      ) : null}
      <div className="card">
        <h2>Facts</h2>
        {facts.isError ? <p role="alert">{facts.error.message}</p> : null}
        <ul>
          {(facts.data ?? []).map((f) => (
            <li key={f.fact_key}>
              {f.statement} <span className="muted">({f.category}, {Math.round(f.confidence * 100)} %)</span>
              {f.sources?.[0] ? (
                <span className="sources"> — from “{f.sources[0].conversation_title ?? "a conversation"}”</span>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
