import { describe, expect, it } from "vitest";
import type { Conversation, Message } from "../model/conversation.ts";
import { ChunkSchema } from "./chunk.ts";
import { chunkConversation } from "./chunker.ts";
import { renderConversation } from "./render.ts";
import { estimateTokens } from "./tokens.ts";

function conv(texts: string[], id = "c1"): Conversation {
  const messages: Message[] = texts.map((text, i) => ({
    id: `m${i}`,
    role: i % 2 === 0 ? "user" : "assistant",
    text,
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
  }));
  return { id, source: "chatgpt", title: "Title ✓", createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-01-02T00:00:00.000Z", messages };
}

function words(n: number, seed = 1): string {
  const vocab = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(vocab[(i * 7 + seed * 3) % vocab.length]! + (i % 17 === 16 ? "." : ""));
  return out.join(" ");
}

describe("estimateTokens", () => {
  it("estimateTokens() counts ~4 Latin characters, one CJK character and one emoji per token", () => {
    expect(estimateTokens("abcdefgh")).toBe(2);
    expect(estimateTokens("日本語のテキスト")).toBe(8);
    expect(estimateTokens("🎉🎉")).toBe(2);
    expect(estimateTokens("")).toBe(0);
  });
});

describe("chunkConversation", () => {
  it("chunkConversation() makes one chunk of a short conversation, with title and times", async () => {
    const c = conv(["Hello there", "Hi!"]);
    const { chunks } = await chunkConversation(c);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ index: 0, text: "User: Hello there\n\nAssistant: Hi!", title: "Title ✓", conversationCreatedAt: c.createdAt, startAt: c.messages[0]!.createdAt, endAt: c.messages[1]!.createdAt, start: 0 });
    expect(ChunkSchema.parse(chunks[0])).toEqual(chunks[0]);
  });

  it("chunkConversation() cuts ~2000-token chunks overlapping by ~200 tokens and covering all text", async () => {
    const c = conv([words(6000), words(9000, 2), words(3000, 3)]);
    const { text } = renderConversation(c);
    const { chunks } = await chunkConversation(c);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks[chunks.length - 1]!.end).toBe(text.length);
    for (let i = 0; i < chunks.length; i++) {
      const ch = chunks[i]!;
      expect(ch.text).toBe(text.slice(ch.start, ch.end));
      expect(ch.tokens).toBeLessThanOrEqual(2000);
      if (i < chunks.length - 1) expect(ch.tokens).toBeGreaterThan(1500);
      if (i > 0) {
        const prev = chunks[i - 1]!;
        expect(ch.start).toBeLessThan(prev.end);
        const overlap = estimateTokens(text.slice(ch.start, prev.end));
        expect(overlap).toBeGreaterThan(150);
        expect(overlap).toBeLessThanOrEqual(210);
      }
    }
  });

  it("chunkConversation() never splits a surrogate pair", async () => {
    const c = conv(["🎉a".repeat(6000), "x😀".repeat(5000)]);
    const { chunks } = await chunkConversation(c, { chunkTokens: 333, overlapTokens: 37 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const ch of chunks) {
      expect(ch.text).not.toMatch(/^[\uDC00-\uDFFF]/);
      expect(ch.text).not.toMatch(/[\uD800-\uDBFF]$/);
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(ch.text)).toBe(false);
    }
  });

  it("chunkConversation() sizes CJK text by characters, not by a quarter of them", async () => {
    const c = conv(["日本語".repeat(3000)]);
    const { chunks } = await chunkConversation(c);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks[0]!.text.length).toBeLessThanOrEqual(2010);
  });

  it("chunkConversation() gives stable ids: same input same ids; a change late leaves early chunks alone", async () => {
    const texts = [words(5000), words(5000, 4)];
    const a = await chunkConversation(conv(texts));
    const b = await chunkConversation(conv(texts));
    expect(b.chunks.map((c) => c.id)).toEqual(a.chunks.map((c) => c.id));
    const changed = await chunkConversation(conv([texts[0]!, texts[1]! + " changed"]));
    expect(changed.chunks[0]!.id).toBe(a.chunks[0]!.id);
    expect(changed.chunks[changed.chunks.length - 1]!.id).not.toBe(a.chunks[a.chunks.length - 1]!.id);
    const other = await chunkConversation(conv(texts, "c2"));
    expect(other.chunks[0]!.id).not.toBe(a.chunks[0]!.id);
    expect(other.chunks[0]!.contentHash).toBe(a.chunks[0]!.contentHash);
  });

  it("chunkConversation() rejects an overlap not smaller than the chunk size", async () => {
    await expect(chunkConversation(conv(["x"]), { chunkTokens: 100, overlapTokens: 100 })).rejects.toThrow(RangeError);
  });
});
