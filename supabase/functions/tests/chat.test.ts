import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, newUser, sql, type TestUser } from "../../local/test/clients.ts";
import { invoke } from "./helpers.ts";

/** Seeds searchable memory for `user` directly (the worker's job is tested elsewhere). */
async function seedMemory(user: TestUser): Promise<void> {
  const db = await sql();
  try {
    await db.query(
      `insert into public.conversation_chunks
         (user_id, conversation_id, chunk_index, content, content_hash, conversation_title, conversation_time)
       values ($1, 'conv-garden', 0, 'I grow tomatoes and basil on my balcony garden in Lisbon.', 'h1',
               'Balcony garden plans', '2024-05-02T10:00:00Z'),
              ($1, 'conv-rust', 0, 'Help me port the parser to Rust; I work as a backend engineer.', 'h2',
               'Rust parser port', '2024-06-11T09:00:00Z')`,
      [user.id],
    );
  } finally {
    await db.end();
  }
}

describe("chat function", () => {
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await newUser("chat-alice");
    bob = await newUser("chat-bob");
    await seedMemory(alice);
  });
  afterAll(async () => {
    await alice.client.auth.signOut();
    await bob.client.auth.signOut();
  });

  it("chat answers from the caller's memory with the conversation title and date as source", async () => {
    const res = await invoke(alice.client, "chat", { message: "What do I grow on my balcony?" });
    expect(res.status).toBe(200);
    expect(res.body.question).toMatchObject({ role: "user", content: "What do I grow on my balcony?" });
    expect(res.body.answer.role).toBe("assistant");
    expect(res.body.answer.content).toMatch(/tomatoes/);
    expect(res.body.answer.sources[0]).toMatchObject({
      conversation_id: "conv-garden",
      conversation_title: "Balcony garden plans",
    });
    expect(res.body.answer.sources[0].conversation_time).toMatch(/^2024-05-02/);
  });

  it("chat stores the question and the answer in order, readable by the caller only", async () => {
    await invoke(alice.client, "chat", { message: "Which language am I porting the parser to?" });
    const { data: mine, error } = await alice.client
      .from("chat_messages")
      .select("role, content")
      .order("created_at", { ascending: true });
    expect(error).toBeNull();
    const last = mine!.slice(-2);
    expect(last.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(last[1]!.content).toMatch(/Rust/);
    const { data: theirs } = await bob.client.from("chat_messages").select("id");
    expect(theirs).toEqual([]);
  });

  it("chat never answers from another user's memory", async () => {
    const res = await invoke(bob.client, "chat", { message: "What do I grow on my balcony?" });
    expect(res.status).toBe(200);
    expect(res.body.answer.content).not.toMatch(/tomatoes/);
    expect(res.body.answer.sources).toEqual([]);
  });

  it("chat refuses an empty message, unknown fields and a missing session", async () => {
    const empty = await invoke(alice.client, "chat", { message: "   " });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/message/);
    const extra = await invoke(alice.client, "chat", { message: "hi", admin: true });
    expect(extra.status).toBe(400);
    const anon = await invoke(client(), "chat", { message: "hi" });
    expect(anon.status).toBe(401);
  });
});
