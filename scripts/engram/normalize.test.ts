import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseManifest } from "../../shared/shards/manifest.ts";
import { readShard } from "../../shared/shards/shard-reader.ts";
import { command as normalize } from "./normalize.ts";
import { command as profile } from "./profile.ts";

const fixture = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../shared/fixtures/chatgpt/conversations.json");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "engram-cli-test-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe("engram normalize / profile", () => {
  it("normalize writes verifiable shards and manifest.json, and profile writes MEMORY.md from them", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const out = tmp();
    writeFileSync(path.join(out, "shard-00007.ndjson.gz"), "stale");
    expect(await normalize.run([fixture, "--out", out])).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(["manifest.json", "shard-00000.ndjson.gz"]);
    const manifest = parseManifest(readFileSync(path.join(out, "manifest.json"), "utf8"));
    const conversations = await readShard("shard-00000.ndjson.gz", new Uint8Array(readFileSync(path.join(out, "shard-00000.ndjson.gz"))), manifest.shards[0]!);
    expect(conversations.map((c) => c.id)).toEqual(["conv-a", "conv-b"]);
    expect(log.mock.calls.flat().join("\n")).toMatch(/INCOMPLETE: 3 conversation\(s\)/);
    expect(await profile.run([out])).toBe(0);
    const md = readFileSync(path.join(out, "MEMORY.md"), "utf8");
    expect(md).toContain("Built from partial input");
    expect(md).toContain("Lives in Lisbon");
  });

  it("normalize exits 1 with the typed error and writes no manifest when the input is not an export", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const out = tmp();
    const bad = path.join(out, "notes.txt");
    writeFileSync(bad, "hello, not an export");
    expect(await normalize.run([bad, "--out", path.join(out, "o")])).toBe(1);
    expect(errors.mock.calls.flat().join("\n")).toMatch(/error \[unsupported_input\]/);
    expect(readdirSync(path.join(out, "o"))).toEqual([]);
  });
});
