import { zipSync, strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { ExportError } from "../errors.ts";
import { collectExport } from "../testing/collect.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { loadFixture } from "../testing/load-fixture.ts";

async function failure(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
  throw new Error("expected an ExportError, the export was read");
}

const chatgpt = loadFixture(FIXTURES.chatgpt);
const MiB = 1024 * 1024;

function oneConversation(text: string, id = "big"): string {
  const mapping = {
    r: { id: "r", message: null, parent: null, children: ["u"] },
    u: { id: "u", parent: "r", children: [], message: { id: "u", author: { role: "user" }, create_time: 1, content: { content_type: "text", parts: [text] }, recipient: "all" } },
  };
  return JSON.stringify({ id, title: "t", create_time: 1, mapping, current_node: "u" });
}

describe("readExport", () => {
  it("readExport() gives identical results whatever the chunk size", async () => {
    const whole = await collectExport("conversations.json", chatgpt, chatgpt.length);
    for (const size of [1, 13, 4096]) {
      const r = await collectExport("conversations.json", chatgpt, size);
      expect(r.items).toEqual(whole.items);
      expect(r.errors.map((e) => e.toJSON())).toEqual(whole.errors.map((e) => e.toJSON()));
    }
  });

  it("readExport() reads conversations.json from a ZIP (in a folder) and skips images, audio and chat.html", async () => {
    const zip = zipSync({
      "export/chat.html": strToU8("<html>" + "x".repeat(10000) + "</html>"),
      "export/file-abc.png": new Uint8Array(50000).map((_, i) => (i * 7919) & 255),
      "export/user.json": strToU8('{"email":"a@b.c"}'),
      "export/conversations.json": chatgpt,
      "export/audio/voice.wav": new Uint8Array(3000),
    });
    const fromZip = await collectExport("chatgpt-export.zip", zip, 1000);
    const fromJson = await collectExport("conversations.json", chatgpt);
    expect(fromZip.items).toEqual(fromJson.items);
    expect(fromZip.source).toEqual({ name: "chatgpt-export.zip", type: "chatgpt-zip", bytes: zip.length, parts: ["export/conversations.json"] });
  });

  it("readExport() reads split conversations-NNN.json parts in ZIP order, stored or deflated", async () => {
    const zip = zipSync({
      "conversations-000.json": [loadFixture(FIXTURES.split0), { level: 0 }],
      "conversations-001.json": loadFixture(FIXTURES.split1),
      "export_manifest.json": loadFixture(FIXTURES.splitManifest),
    });
    const r = await collectExport("export.zip", zip, 333);
    expect(r.items.map((c) => c.id)).toEqual(["split-0", "split-1", "split-2"]);
    expect(r.source.parts).toEqual(["conversations-000.json", "conversations-001.json"]);
    expect(r.items[2]!.messages[1]!.text).toBe("Answer 2 ✓");
  });

  it("readExport() rejects a split export missing a part that export_manifest.json lists", async () => {
    const zip = zipSync({ "conversations-000.json": loadFixture(FIXTURES.split0), "export_manifest.json": loadFixture(FIXTURES.splitManifest) });
    const e = await failure(collectExport("export.zip", zip));
    expect(e.code).toBe("missing_part");
    expect(e.message).toContain("conversations-001.json");
  });

  it("readExport() reads a Claude export ZIP", async () => {
    const zip = zipSync({ "users.json": strToU8("[]"), "projects.json": strToU8("[]"), "conversations.json": loadFixture(FIXTURES.claude) });
    const r = await collectExport("claude.zip", zip);
    expect(r.source.type).toBe("claude-zip");
    expect(r.items.map((c) => c.id)).toEqual(["claude-1", "claude-2"]);
  });

  it("readExport() says what it found when the input is not an export", async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ["chat.html", strToU8("<!DOCTYPE html><html></html>"), /HTML/],
      ["x.gz", new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), /gzip/],
      ["empty.json", new Uint8Array(0), /empty file/],
      ["a.bin", new Uint8Array([1, 2, 3, 4, 5]), /bytes 01 02 03 04 05/],
    ];
    for (const [name, bytes, found] of cases) {
      const e = await failure(collectExport(name, bytes));
      expect(e.code, name).toBe("unsupported_input");
      expect(e.message, name).toMatch(found);
      expect(e.message).toMatch(/expected a ChatGPT or Claude export/);
    }
  });

  it("readExport() rejects a ZIP without conversations, naming what it holds", async () => {
    const e = await failure(collectExport("photos.zip", zipSync({ "a.png": new Uint8Array(10), "chat.html": strToU8("<html>") })));
    expect(e.code).toBe("no_conversations");
    expect(e.message).toContain("a.png, chat.html");
  });

  it("readExport() rejects valid JSON of the wrong shape", async () => {
    const numbers = await failure(collectExport("conversations.json", strToU8("[1, 2, 3]")));
    expect(numbers.code).toBe("wrong_shape");
    expect(numbers.message).toContain("3 element(s)");
    const object = await failure(collectExport("conversations.json", strToU8('{"conversations": []}')));
    expect(object.code).toBe("wrong_shape");
  });

  it("readExport() rejects invalid JSON inside a conversation with its index and offset", async () => {
    const text = `[${oneConversation("ok", "c1")}, {"id": "c2", "mapping": {"a": tru}}]`;
    const e = await failure(collectExport("conversations.json", strToU8(text), 10));
    expect(e.code).toBe("invalid_json");
    expect(e.index).toBe(1);
    expect(e.offset).toBe(text.indexOf('{"id": "c2"'));
  });

  it("readExport() rejects invalid UTF-8 with the byte offset", async () => {
    const text = strToU8(`[${oneConversation("café", "c1")}]`);
    const at = text.indexOf(0xc3);
    text[at] = 0xff;
    const e = await failure(collectExport("conversations.json", text, 7));
    expect(e.code).toBe("invalid_utf8");
    expect(e.offset).toBe(at);
  });

  it("readExport() rejects a truncated JSON export at every cut and never returns a partial result", async () => {
    for (const cut of [1, 100, Math.floor(chatgpt.length / 2), chatgpt.length - 2]) {
      const e = await failure(collectExport("conversations.json", chatgpt.subarray(0, cut), 64));
      expect(["truncated", "invalid_json"]).toContain(e.code);
    }
    expect((await failure(collectExport("conversations.json", chatgpt.subarray(0, chatgpt.length - 2)))).code).toBe("truncated");
  });

  it("readExport() rejects a truncated ZIP, also when only the central directory is cut", async () => {
    const zip = zipSync({ "conversations.json": chatgpt, "b.png": new Uint8Array(100) });
    for (const cut of [10, 200, Math.floor(zip.length / 2), zip.length - 30]) {
      const e = await failure(collectExport("export.zip", zip.subarray(0, cut), 100));
      expect(e.code, `cut at ${cut}`).toBe("truncated");
    }
  });

  it("readExport() rejects a ZIP whose deflate data is corrupt", async () => {
    const zip = zipSync({ "conversations.json": chatgpt });
    const broken = zip.slice();
    for (let i = 60; i < 90; i++) broken[i] = 0xff;
    const e = await failure(collectExport("export.zip", broken));
    expect(["corrupt_zip", "invalid_json", "invalid_utf8", "truncated"]).toContain(e.code);
  });

  it("readExport() stops a zip bomb by compression ratio and by total size", async () => {
    const zeros = new Uint8Array(16 * MiB);
    const bomb = zipSync({ "conversations.json": [zeros, { level: 9 }] });
    expect(bomb.length).toBeLessThan(MiB);
    const ratio = await failure(collectExport("bomb.zip", bomb));
    expect(ratio.code).toBe("zip_bomb");
    expect(ratio.message).toMatch(/compression ratio/);
    expect(ratio.part).toBe("conversations.json");
    const sized = zipSync({ "conversations.json": chatgpt });
    const total = await failure(collectExport("export.zip", sized, 4096, { limits: { maxTotalBytes: 1000 } }));
    expect(total.code).toBe("zip_bomb");
  });

  it("readExport() skips one 50 MB message as a failed item and reads the other conversations", async () => {
    const huge = "a".repeat(50 * MiB);
    const text = `[${oneConversation("before", "c0")},${oneConversation(huge, "huge")},${oneConversation("after", "c2")}]`;
    const bytes = strToU8(text);
    const r = await collectExport("conversations.json", bytes, MiB);
    expect(r.items.map((c) => c.id)).toEqual(["c0", "c2"]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe("too_large");
    expect(r.errors[0]!.index).toBe(1);
    expect(r.errors[0]!.offset).toBe(text.indexOf(',{"id":"huge"') + 1);
  });

  it("readExport() skips a message over maxMessageChars in a conversation under the byte cap", async () => {
    const r = await collectExport("conversations.json", strToU8(`[${oneConversation("x".repeat(2000), "long")}]`), 512, { limits: { maxMessageChars: 1000 } });
    expect(r.items).toEqual([]);
    expect(r.errors[0]!.code).toBe("too_large");
  });
});
