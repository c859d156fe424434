import { MAX_SOURCES, type Fact, type FactSource } from "./fact.ts";

/**
 * Merges facts with the same id (same kind and normalized key): mentions add up, confidence
 * combines as independent evidence (1 − Π(1 − cᵢ), at most 0.99 unless a source was certain),
 * sources are unioned (earliest first, capped), the statement of the most confident mention wins.
 * Returns facts ranked by {@link factScore}, then kind and key, so the order is deterministic.
 */
export function consolidateFacts(facts: Iterable<Fact>): Fact[] {
  const byId = new Map<string, Fact>();
  for (const f of facts) {
    const seen = byId.get(f.id);
    byId.set(f.id, seen ? mergeTwo(seen, f) : { ...f, sources: [...f.sources] });
  }
  return [...byId.values()].sort(compareFacts);
}

function mergeTwo(a: Fact, b: Fact): Fact {
  const certain = a.confidence >= 1 || b.confidence >= 1;
  const combined = certain ? 1 : Math.min(0.99, 1 - (1 - a.confidence) * (1 - b.confidence));
  const best = b.confidence > a.confidence || (b.confidence === a.confidence && b.firstSeen < a.firstSeen) ? b : a;
  return {
    id: a.id,
    kind: a.kind,
    key: a.key,
    statement: best.statement,
    confidence: Math.round(combined * 100) / 100,
    mentions: a.mentions + b.mentions,
    firstSeen: a.firstSeen < b.firstSeen ? a.firstSeen : b.firstSeen,
    lastSeen: a.lastSeen > b.lastSeen ? a.lastSeen : b.lastSeen,
    sources: unionSources(a.sources, b.sources),
  };
}

function sourceKey(s: FactSource): string {
  return s.type === "chunk" ? `c:${s.chunkId}` : `i:${s.id}`;
}

function unionSources(a: FactSource[], b: FactSource[]): FactSource[] {
  const seen = new Map<string, FactSource>();
  for (const s of [...a, ...b]) if (!seen.has(sourceKey(s))) seen.set(sourceKey(s), s);
  return [...seen.values()]
    .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : sourceKey(x) < sourceKey(y) ? -1 : 1))
    .slice(0, MAX_SOURCES);
}

/** Rank: confidence, boosted by repetition (log of mentions). */
export function factScore(f: Fact): number {
  return f.confidence * (1 + Math.log(f.mentions));
}

function compareFacts(a: Fact, b: Fact): number {
  return factScore(b) - factScore(a) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
