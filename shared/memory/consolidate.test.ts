import { describe, expect, it } from "vitest";
import { consolidateFacts } from "./consolidate.ts";
import type { FactSource } from "./fact.ts";
import { makeFact } from "./offline-extractor.ts";
import { renderProfile } from "./render-profile.ts";
import { addActivity, addTopics, mergeActivity, mergeTopics, type ActivityByMonth, type TopicCounts } from "./topics.ts";

const src = (chunkId: string, at: string): FactSource => ({ type: "chunk", chunkId, conversationId: "c", at });

describe("consolidateFacts", () => {
  it("consolidateFacts() merges the same fact across shards and ranks repeated, confident facts first", async () => {
    const facts = [
      await makeFact("place", "lives in: Lisbon", "Lives in Lisbon", 0.85, src("k1", "2024-01-01T00:00:00.000Z")),
      await makeFact("preference", "likes: jazz", "Likes jazz", 0.6, src("k2", "2024-02-01T00:00:00.000Z")),
      await makeFact("place", "lives in: lisbon", "Lives in lisbon", 0.5, src("k3", "2023-06-01T00:00:00.000Z")),
      await makeFact("place", "lives in: Lisbon!", "Lives in Lisbon", 0.85, src("k1", "2024-01-01T00:00:00.000Z")),
    ];
    const merged = consolidateFacts(facts);
    expect(merged).toHaveLength(2);
    const lisbon = merged[0]!;
    expect(lisbon).toMatchObject({ key: "lives in lisbon", statement: "Lives in Lisbon", mentions: 3, confidence: 0.99, firstSeen: "2023-06-01T00:00:00.000Z", lastSeen: "2024-01-01T00:00:00.000Z" });
    expect(lisbon.sources.map((s) => (s.type === "chunk" ? s.chunkId : ""))).toEqual(["k3", "k1"]);
    expect(consolidateFacts([...facts].reverse())).toEqual(merged);
  });
});

describe("renderProfile", () => {
  const conv = (month: string, title: string, text: string) => ({
    id: title, source: "chatgpt" as const, title, createdAt: `${month}-03T00:00:00.000Z`, updatedAt: `${month}-03T00:00:00.000Z`,
    messages: [{ id: "m", role: "user" as const, text, createdAt: `${month}-03T00:00:00.000Z` }],
  });

  it("renderProfile() renders facts, custom instructions, topics over time and activity; marks partial input", async () => {
    const topicsA: TopicCounts = {};
    const topicsB: TopicCounts = {};
    const actA: ActivityByMonth = {};
    const actB: ActivityByMonth = {};
    addTopics(topicsA, conv("2024-01", "Kyoto temples", "Which temples in Kyoto should I visit?"));
    addActivity(actA, conv("2024-01", "Kyoto temples", "x"));
    addTopics(topicsB, conv("2024-02", "Marathon training", "Plan my marathon training schedule"));
    addActivity(actB, conv("2024-02", "Marathon training", "x"));
    const md = renderProfile({
      facts: consolidateFacts([await makeFact("place", "lives in: Lisbon", "Lives in Lisbon", 0.85, src("k1", "2024-01-01T00:00:00.000Z"))]),
      customInstructions: [{ id: "0".repeat(64), aboutUser: "I am Ana.", aboutModel: "Be brief.", firstSeen: "2024-01-01T00:00:00.000Z", lastSeen: "2024-01-01T00:00:00.000Z", conversations: 1 }],
      topics: mergeTopics(topicsA, topicsB),
      activity: mergeActivity(actA, actB),
      partial: { reason: "conversations could not be read", failed: 3, total: 120 },
    });
    expect(md).toContain("> **Built from partial input.** 3 of 120 conversations could not be read");
    expect(md).toContain("> I am Ana.");
    expect(md).toContain("## Places\n\n- Lives in Lisbon _(confidence 0.85; 1× 2024-01–2024-01)_");
    expect(md).toContain("| 2024-01 | kyoto, temples, visit |");
    expect(md).toContain("| 2024-02 | marathon, training, plan, schedule |");
    expect(md).toContain("| 2024-02 | 1 | 1 |");
    expect(md).toContain("_From 2 conversations, 2024-01 to 2024-02._");
  });

  it("renderProfile() has no partial marker when the input was whole", () => {
    const md = renderProfile({ facts: [], customInstructions: [], topics: {}, activity: {}, partial: null });
    expect(md).not.toMatch(/partial/i);
  });
});
