import { composeAnswer, type MemoryHit, sourcesOf, toSearchQuery } from "./compose.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const hit = (over: Partial<MemoryHit>): MemoryHit => ({
  kind: "chunk",
  id: "1",
  snippet: "I live in **Lisbon**",
  content: "I live in Lisbon",
  conversation_id: "c1",
  conversation_title: "Moving",
  conversation_time: "2024-03-01T00:00:00Z",
  rank: 1,
  ...over,
});

Deno.test("toSearchQuery() ORs the meaningful words of a question", () => {
  assertEquals(toSearchQuery("Where do I live these days?"), "live or days");
  assertEquals(toSearchQuery("What's my dog's name?"), "dog or name");
});

Deno.test("toSearchQuery() gives an empty query when only stop words remain", () => {
  assertEquals(toSearchQuery("what is it?"), "");
});

Deno.test("sourcesOf() keeps one source per conversation, best first", () => {
  const sources = sourcesOf([hit({}), hit({ id: "2" }), hit({ id: "3", conversation_id: "c2", conversation_title: "B" })]);
  assertEquals(sources.map((s) => s.conversation_id), ["c1", "c2"]);
});

Deno.test("composeAnswer() says so when memory has nothing", () => {
  if (!composeAnswer([]).startsWith("I couldn't find")) throw new Error("expected the not-found answer");
});

Deno.test("composeAnswer() lists facts before passages and names the conversation", () => {
  const text = composeAnswer([hit({}), hit({ kind: "fact", content: "Lives in Lisbon", conversation_title: null })]);
  const lines = text.split("\n");
  assertEquals(lines[1], "• Lives in Lisbon");
  assertEquals(lines[2], "• …I live in Lisbon… (from “Moving”)");
});
