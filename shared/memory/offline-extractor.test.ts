import { describe, expect, it } from "vitest";
import { chunkConversation } from "../chunker/chunker.ts";
import type { Conversation } from "../model/conversation.ts";
import { collectExport } from "../testing/collect.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { FactSchema } from "./fact.ts";
import { extractFacts, factsFromCustomInstructions } from "./offline-extractor.ts";

function userSays(...texts: string[]): Conversation {
  return {
    id: "c",
    source: "chatgpt",
    title: "t",
    createdAt: "2024-05-01T00:00:00.000Z",
    updatedAt: "2024-05-01T00:00:00.000Z",
    messages: texts.map((text, i) => ({ id: `m${i}`, role: i % 2 === 0 ? ("user" as const) : ("assistant" as const), text, createdAt: `2024-05-01T00:0${i}:00.000Z` })),
  };
}

async function statements(c: Conversation): Promise<string[]> {
  return (await extractFacts(c, await chunkConversation(c))).map((f) => f.statement);
}

describe("extractFacts", () => {
  it("extractFacts() finds identity, work, places, people, preferences, goals and projects", async () => {
    const c = userSays(
      "My name is Ana Sousa. I'm 34 years old. I work as a nurse at a hospital. I work at Hospital Santa Maria. " +
        "I live in Lisbon and love it. My sister Maria is visiting. I love hiking in the mountains. I hate cilantro. I'm vegetarian. " +
        "My goal is to run a marathon next year. I'm working on a cookbook for my family.",
    );
    expect(await statements(c)).toEqual([
      "Name: Ana Sousa",
      "Age: 34",
      "Works as a nurse at a hospital",
      "Works at Hospital Santa Maria",
      "Lives in Lisbon",
      "Sister: Maria",
      "Likes hiking in the mountains",
      "Dislikes cilantro",
      "Is vegetarian",
      "Goal: run a marathon next year",
      "Working on cookbook",
    ]);
  });

  it("extractFacts() ignores the assistant, code blocks, stories and requests", async () => {
    const c = userSays(
      "Write me a story where my name is Bob. ```\n# I live in Paris\n``` I'd like a summary. Imagine I live in Rome.",
      "My name is Assistant and I live in the cloud.",
    );
    expect(await statements(c)).toEqual([]);
  });

  it("extractFacts() points each fact at the chunk holding the statement, with kinds and confidence", async () => {
    const filler = "word ".repeat(12000);
    const c = userSays(filler, "ok", "By the way, I live in Porto.");
    const chunked = await chunkConversation(c);
    const facts = await extractFacts(c, chunked);
    expect(facts).toHaveLength(1);
    const f = FactSchema.parse(facts[0]);
    const source = f.sources[0]!;
    expect(source.type).toBe("chunk");
    const chunk = chunked.chunks.find((ch) => source.type === "chunk" && ch.id === source.chunkId)!;
    expect(chunk.text).toContain("I live in Porto");
    expect(chunk.index).toBe(chunked.chunks.length - 1);
    expect(f).toMatchObject({ kind: "place", key: "lives in porto", confidence: 0.85, firstSeen: "2024-05-01T00:02:00.000Z" });
  });

  it("extractFacts() lowers confidence for a statement phrased as a question", async () => {
    const facts = await extractFacts(userSays("I live in Berlin, is that far?"), await chunkConversation(userSays("I live in Berlin, is that far?")));
    expect(facts[0]!.confidence).toBeCloseTo(0.65);
  });

  it("extractFacts() finds the user's statements in the hand-made fixture", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    const all: string[] = [];
    for (const c of r.items) all.push(...(await statements(c)));
    // "I want to run a marathon" is not taken: "I want to …" is far more often a request than a goal.
    expect(all).toEqual(["Lives in Lisbon", "Name: Ana", "Prefers quiet places", "Works as a nurse at a hospital"]);
  });
});

describe("factsFromCustomInstructions", () => {
  it("factsFromCustomInstructions() turns both texts into certain facts", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    const facts = await factsFromCustomInstructions(r.customInstructions);
    expect(facts.map((f) => [f.kind, f.statement, f.confidence])).toEqual([
      ["identity", "About me (custom instructions): I am Ana, a nurse in Lisbon. I love hiking.", 1],
      ["instruction", "How to respond (custom instructions): Answer briefly, in British English.", 1],
    ]);
    expect(facts[0]!.sources[0]).toMatchObject({ type: "custom_instructions", id: r.customInstructions[0]!.id });
  });
});
