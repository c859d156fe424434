import fs from "node:fs/promises";
import path from "node:path";
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
