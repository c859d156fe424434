import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { command as importCommand } from "../../../scripts/engram/import.ts";
import { command as retryCommand } from "../../../scripts/engram/retry.ts";
import { command as statusCommand } from "../../../scripts/engram/status.ts";
import { newUser, stackInfo } from "../../local/test/clients.ts";
import { importStatus, syntheticExport } from "./helpers.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "engram-cli-"));
  process.env.SUPABASE_URL = stackInfo().url;
  process.env.SUPABASE_ANON_KEY = stackInfo().anonKey;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run engram", () => {
  it("engram import normalizes, uploads, imports and follows to complete; a re-run uploads nothing again", async () => {
    const user = await newUser("cli");
    const file = path.join(dir, "conversations.json");
    await writeFile(file, syntheticExport(30, 91));
    const auth = ["--email", user.email, "--password", user.password];
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      expect(await importCommand.run([file, ...auth])).toBe(0);
      expect(lines.some((l) => /deep memory complete/.test(l))).toBe(true);
      const status = await importStatus(user);
      expect(status.full_pass_status).toBe("complete");
      expect(status.conversation_count).toBe(30);

      lines.length = 0;
      expect(await importCommand.run([file, ...auth, "--no-wait"])).toBe(0);
      expect(lines.find((l) => l.startsWith("uploaded"))).toMatch(/^uploaded 0 B \(1 shard\(s\) already stored\)/);

      lines.length = 0;
      expect(await statusCommand.run([...auth, "--json"])).toBe(0);
      expect(JSON.parse(lines.join("\n")).full_pass_status).toBe("complete");
    } finally {
      spy.mockRestore();
    }
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await retryCommand.run(auth)).toBe(1);
      expect(err.mock.calls.flat().join(" ")).toMatch(/409.*already_complete/);
    } finally {
      err.mockRestore();
    }
  });
});
