import { describe, expect, it } from "vitest";
import { collectExport } from "../testing/collect.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { ConversationSchema } from "../model/conversation.ts";

const T = 1700000000;
const iso = (s: number) => new Date(s * 1000).toISOString();

describe("normalizeChatGpt (through readExport on the hand-made fixture)", () => {
  it("keeps exactly the visible dialogue of the current branch, in order", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    const a = r.items.find((c) => c.id === "conv-a")!;
    expect(a).toEqual({
      id: "conv-a",
      source: "chatgpt",
      title: "Kyoto trip 🎌",
      createdAt: iso(T),
      updatedAt: iso(T + 200),
      model: "gpt-4o",
      messages: [
        { id: "u1", role: "user", text: "Hi! I live in Lisbon and I'm planning a trip to Kyoto 京都 🎌. My name is Ana.", createdAt: iso(T + 10) },
        { id: "a1", role: "assistant", text: "Lovely — Kyoto in spring is wonderful. 🌸", createdAt: iso(T + 20), model: "gpt-4o" },
        { id: "u2b", role: "user", text: "Which temples should I see?", createdAt: iso(T + 50) },
        { id: "a2b", role: "assistant", text: "Kinkaku-ji, Fushimi Inari and Kiyomizu-dera.", createdAt: iso(T + 60), model: "o1" },
        { id: "img", role: "user", text: "[image]\nWhat is this? Is it a café?", createdAt: iso(T + 70) },
        { id: "a3", role: "assistant", text: "It looks like a tea house.", createdAt: iso(T + 80), model: "gpt-4o" },
        { id: "voice", role: "user", text: "I prefer quiet places.", createdAt: iso(T + 100) },
        { id: "a4", role: "assistant", text: "Then visit Ōhara early in the morning.", createdAt: iso(T + 110), model: "gpt-4o" },
        { id: "a5", role: "assistant", text: "Enjoy your trip!\nさようなら", createdAt: iso(T + 120), model: "gpt-4o" },
      ],
    });
    expect(ConversationSchema.parse(a)).toEqual(a);
    const all = JSON.stringify(a);
    for (const hidden of ["old draft", "Osaka", "SECRET REASONING", "Thought for", "search(", "TOOL OUTPUT", "HIDDEN NOTE", "dalle", "prompt", "BROWSING", "QUOTE", "SYSTEM ERROR"]) {
      expect(all, hidden).not.toContain(hidden);
    }
  });

  it("falls back to the last assistant model and an empty title, and uses createdAt when update_time is null", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    const b = r.items.find((c) => c.id === "conv-b")!;
    expect(b.title).toBe("");
    expect(b.model).toBe("gpt-4o-mini");
    expect(b.updatedAt).toBe(b.createdAt);
    expect(b.messages.map((m) => m.id)).toEqual(["bu", "ba"]);
  });

  it("records missing and looping current_node as failed conversations with their index, and reads the rest", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    expect(r.errors.map((e) => [e.code, e.index, e.part])).toEqual([
      ["missing_current_node", 2, "conversations.json"],
      ["broken_thread", 3, "conversations.json"],
      ["missing_current_node", 5, "conversations.json"],
    ]);
    expect(r.errors[1]!.message).toMatch(/loop/);
    expect(r.errors[0]!.offset).toBeGreaterThan(0);
    expect(r.items.map((c) => c.id)).toEqual(["conv-a", "conv-b", "conv-e"]);
    expect(r.items[2]!.messages).toEqual([]);
  });

  it("collects custom instructions from both forms as one deduplicated version", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.chatgpt));
    expect(r.customInstructions).toHaveLength(1);
    expect(r.customInstructions[0]).toMatchObject({
      aboutUser: "I am Ana, a nurse in Lisbon. I love hiking.",
      aboutModel: "Answer briefly, in British English.",
      firstSeen: iso(T + 1),
      lastSeen: iso(T + 1000),
      conversations: 2,
    });
    expect(r.customInstructions[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(r.source).toEqual({ name: "conversations.json", type: "chatgpt-json", bytes: loadFixture(FIXTURES.chatgpt).length, parts: ["conversations.json"] });
  });
});
