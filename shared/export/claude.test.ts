import { describe, expect, it } from "vitest";
import { collectExport } from "../testing/collect.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { loadFixture } from "../testing/load-fixture.ts";

describe("normalizeClaude (through readExport on the hand-made fixture)", () => {
  it("keeps text blocks only and maps human/assistant to user/assistant", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.claude), 100);
    expect(r.source.type).toBe("claude-json");
    expect(r.errors).toEqual([]);
    const c = r.items[0]!;
    expect(c).toEqual({
      id: "claude-1",
      source: "claude",
      title: "Résumé help",
      createdAt: "2024-03-01T10:00:00.000Z",
      updatedAt: "2024-03-01T10:05:00.123Z",
      messages: [
        { id: "c1m1", role: "user", text: "I'm a data scientist in Berlin. Can you improve my résumé?", createdAt: "2024-03-01T10:00:01.000Z" },
        { id: "c1m2", role: "assistant", text: "Sure — here is a tighter version. 📄", createdAt: "2024-03-01T10:00:05.000Z" },
      ],
    });
  });

  it("follows current_leaf_message_uuid back to the root when messages branch", async () => {
    const r = await collectExport("conversations.json", loadFixture(FIXTURES.claude));
    expect(r.items[1]!.messages.map((m) => m.text)).toEqual(["Hello 你好", "Hi!", "I prefer tea over coffee.", "Noted."]);
  });
});
