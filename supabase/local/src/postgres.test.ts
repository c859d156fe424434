import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("startPostgres()", () => {
  it("startPostgres() leaves the process's exit code alone when the process ends", () => {
    const script = path.resolve(import.meta.dirname, "..", "test", "fixtures", "scripts", "exit-code.ts");
    const port = 54000 + (process.pid % 900);
    const result = spawnSync(process.execPath, ["--import", "tsx", script, String(port)], { encoding: "utf8" });
    expect(result.stderr).not.toMatch(/done is not a function/);
    expect(result.status).toBe(3);
  });
});
