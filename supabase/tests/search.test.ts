/**
 * search_memory(): ranked full-text search over the caller's own chunks and facts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, failure, rpc, service, testPool, user, as } from "./db.ts";

const db = testPool(4);
afterAll(() => db.end());

interface Hit {
  kind: "chunk" | "fact";
  id: string;
  snippet: string;
  content: string;
  conversation_id: string | null;
  conversation_title: string | null;
  conversation_time: Date | null;
  rank: number;
}

let A = "";
let B = "";

async function search(uid: string, query: string, limit?: number): Promise<Hit[]> {
  return await as(db, user(uid), async (c) =>
    (await c.query<Hit>(`select * from public.search_memory($1, $2)`, [query, limit ?? 10])).rows);
}

beforeAll(async () => {
  A = await createUser(db);
  B = await createUser(db);
  const chunk = (id: string, i: number, title: string, content: string, time: string) => ({
    conversation_id: id, chunk_index: i, conversation_title: title, content, conversation_time: time,
  });
  await rpc(db, service, "worker_upsert_chunks", {
    p_user_id: A,
    p_import_id: null,
    p_chunks: JSON.stringify([
      chunk("c-sourdough", 0, "Sourdough starter", "My sourdough starter needs feeding twice a day; rye flour makes it livelier.", "2025-03-01T09:00:00Z"),
      chunk("c-sourdough", 1, "Sourdough starter", "Baking the loaf at 250 degrees with steam for a crisp crust.", "2025-03-01T09:05:00Z"),
      chunk("c-trip", 0, "Lisbon trip", "Planning three days in Lisbon: trams, pastel de nata, and a sourdough bakery.", "2025-05-10T12:00:00Z"),
      chunk("c-tax", 0, "Taxes", "Filing the quarterly tax return for the consultancy.", "2025-04-01T12:00:00Z"),
    ]),
  });
  await rpc(db, service, "worker_upsert_facts", {
    p_user_id: A,
    p_facts: JSON.stringify([{
      statement: "Bakes sourdough bread every weekend", category: "hobby", confidence: 0.9,
      sources: [{ conversation_id: "c-sourdough", chunk_index: 0, conversation_title: "Sourdough starter", conversation_time: "2025-03-01T09:00:00Z" }],
    }]),
  });
  await rpc(db, service, "worker_upsert_chunks", {
    p_user_id: B,
    p_import_id: null,
    p_chunks: JSON.stringify([chunk("b-1", 0, "B's sourdough", "B also writes about sourdough starter secrets.", "2025-01-01T00:00:00Z")]),
  });
});

describe("search_memory()", () => {
  it("search_memory() ranks the caller's chunks and facts with snippets, titles and times", async () => {
    const hits = await search(A, "sourdough");
    expect(hits.length).toBe(4);
    expect(hits.every((h) => h.conversation_id?.startsWith("c-"))).toBe(true); // never B's
    const ranks = hits.map((h) => h.rank);
    expect([...ranks].sort((x, y) => y - x)).toEqual(ranks);
    expect(hits[0]!.conversation_id).toBe("c-sourdough");
    const chunkHit = hits.find((h) => h.kind === "chunk" && h.conversation_id === "c-sourdough")!;
    expect(chunkHit.snippet).toMatch(/\*\*sourdough\*\*/i);
    expect(chunkHit.conversation_title).toBe("Sourdough starter");
    expect(chunkHit.conversation_time?.toISOString()).toBe("2025-03-01T09:00:00.000Z");
    const factHit = hits.find((h) => h.kind === "fact")!;
    expect(factHit).toMatchObject({ content: "Bakes sourdough bread every weekend", conversation_id: "c-sourdough", conversation_title: "Sourdough starter" });
  });

  it("search_memory() never returns another user's rows", async () => {
    const hits = await search(B, "sourdough");
    expect(hits.map((h) => h.conversation_id)).toEqual(["b-1"]);
  });

  it("search_memory() honours the limit and clamps it to 1..50", async () => {
    expect((await search(A, "sourdough", 1)).length).toBe(1);
    expect((await search(A, "sourdough", 0)).length).toBe(1);
    expect((await search(A, "sourdough", 1000)).length).toBeLessThanOrEqual(50);
  });

  it("search_memory() returns nothing for empty or stop-word-only queries and accepts websearch syntax", async () => {
    expect(await search(A, "   ")).toEqual([]);
    expect(await search(A, "the and of")).toEqual([]);
    const phrase = await search(A, '"pastel de nata" -taxes');
    expect(phrase.map((h) => h.conversation_id)).toEqual(["c-trip"]);
  });

  it("search_memory() refuses an overlong query (PT400 invalid_query)", async () => {
    const f = await failure(search(A, "x".repeat(1001)));
    expect([f.code, f.detail]).toEqual(["PT400", "invalid_query"]);
  });
});
