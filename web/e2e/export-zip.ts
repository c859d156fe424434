import fs from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { zipSync } from "fflate";

/**
 * A ChatGPT-style export ZIP built from the shared fixture conversations (Ana from Lisbon, her
 * Kyoto trip, custom instructions) plus an image and an HTML page, which the browser must not
 * upload.
 */
export async function fixtureExportZip(): Promise<Buffer> {
  const conversations = await fs.readFile(path.resolve(import.meta.dirname, "../../shared/fixtures/chatgpt/conversations.json"));
  const zip = zipSync({
    "conversations.json": new Uint8Array(conversations),
    "chat.html": new TextEncoder().encode("<html><body>rendered chats</body></html>"),
    "file-abc.png": new Uint8Array(2048).fill(7),
  });
  return Buffer.from(zip);
}

/** A newer-format export ZIP (split conversations files + export_manifest.json) with no broken conversation. */
export async function splitExportZip(): Promise<Buffer> {
  const dir = path.resolve(import.meta.dirname, "../../shared/fixtures/chatgpt-split");
  const files: Record<string, Uint8Array> = {};
  for (const name of ["conversations-000.json", "conversations-001.json", "export_manifest.json"]) {
    files[name] = new Uint8Array(await fs.readFile(path.join(dir, name)));
  }
  return Buffer.from(zipSync(files));
}

/**
 * A `conversations.json` with one conversation of about 11.7 million characters of random text
 * (three messages just under the 4 Mi-character cap): its shard compresses to well over 6 MB,
 * so the browser must upload it through TUS in 6 MB chunks.
 */
export async function largeConversationJson(): Promise<Buffer> {
  const fixture = JSON.parse(
    await fs.readFile(path.resolve(import.meta.dirname, "../../shared/fixtures/chatgpt/conversations.json"), "utf8"),
  ) as { mapping: Record<string, { message: { content: { parts: string[] } } | null }> }[];
  const template = fixture[1]!;
  const text = () => randomBytes(2_900_000).toString("base64"); // ~3.87 M characters
  const node = (id: string, role: string, parent: string, child: string | null, at: number) => ({
    id,
    message: {
      id,
      author: { role, name: null, metadata: {} },
      create_time: at,
      update_time: null,
      content: { content_type: "text", parts: [text()] },
      status: "finished_successfully",
      end_turn: null,
      weight: 1,
      metadata: {},
      recipient: "all",
      channel: null,
    },
    parent,
    children: child ? [child] : [],
  });
  const conversation = {
    ...template,
    title: "A very long paste",
    id: "conv-large",
    conversation_id: "conv-large",
    mapping: {
      root: { id: "root", message: null, parent: null, children: ["u1"] },
      u1: node("u1", "user", "root", "a1", 1_700_100_000),
      a1: node("a1", "assistant", "u1", "u2", 1_700_100_010),
      u2: node("u2", "user", "a1", null, 1_700_100_020),
    },
    current_node: "u2",
  };
  return Buffer.from(JSON.stringify([conversation]));
}
