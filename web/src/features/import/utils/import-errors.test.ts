import { FunctionsFetchError, FunctionsHttpError } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { toFunctionCallError } from "../../../lib/function-error.ts";
import { UploadError } from "../api/upload-object.ts";
import { exportProblem, fileProblem, formatBytes, MAX_EXPORT_BYTES, serverProblem } from "./import-errors.ts";

async function functionError(status: number, body: unknown, headers: Record<string, string> = {}) {
  return await toFunctionCallError(
    new FunctionsHttpError(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } })),
  );
}

describe("import error messages", () => {
  it("fileProblem() refuses a file that is neither .zip nor .json", () => {
    expect(fileProblem({ name: "export.tar.gz", size: 10 })?.title).toBe("Wrong kind of file");
  });

  it("fileProblem() refuses an empty file and a file over the size cap", () => {
    expect(fileProblem({ name: "conversations.json", size: 0 })?.title).toBe("Empty file");
    const big = fileProblem({ name: "chatgpt-export.zip", size: MAX_EXPORT_BYTES + 1 });
    expect(big?.title).toBe("File too large");
    expect(big?.detail).toContain("8.0 GB");
  });

  it("fileProblem() accepts .zip and .json whatever their case", () => {
    expect(fileProblem({ name: "Export.ZIP", size: 10 })).toBeNull();
    expect(fileProblem({ name: "conversations.json", size: 10 })).toBeNull();
  });

  it("exportProblem() explains each reader error and keeps the technical detail", () => {
    expect(exportProblem("truncated", "input ended early").detail).toContain("cut short");
    expect(exportProblem("truncated", "input ended early").detail).toContain("(input ended early)");
    expect(exportProblem("no_conversations", "x").detail).toContain("no conversations.json");
    expect(exportProblem("zip_bomb", "x").detail).toContain("unpacks to far more data");
    expect(exportProblem("wrong_shape", "x").detail).toContain("not a ChatGPT");
  });

  it("serverProblem() says when to come back when import-trigger answers 429", async () => {
    const problem = serverProblem(await functionError(429, { error: { code: "rate_limited", message: "slow down" } }, { "Retry-After": "600" }));
    expect(problem.title).toBe("Too many imports");
    expect(problem.detail).toBe("Too many attempts — try again in 10 min.");
  });

  it("serverProblem() says another import is running when import-trigger answers 409", async () => {
    const problem = serverProblem(await functionError(409, { error: { code: "conflict", message: "an import is already in progress" } }));
    expect(problem.title).toBe("An import is already running");
    expect(problem.detail).toContain("an import is already in progress");
  });

  it("serverProblem() asks to pick the file again when the manifest is missing (404) or the network failed", async () => {
    expect(serverProblem(await functionError(404, { error: { code: "not_found", message: "no manifest.json found" } })).detail).toContain("Pick the same file again");
    const offline = serverProblem(await toFunctionCallError(new FunctionsFetchError(new TypeError("Failed to fetch"))));
    expect(offline.title).toBe("No connection");
    expect(offline.detail).toContain("resume");
  });

  it("serverProblem() names a refused upload and says what happens on a second try", () => {
    expect(serverProblem(new UploadError("u/i/shard-00001.ndjson.gz", "Payload too large", 413)).title).toBe("File too large");
    const dropped = serverProblem(new UploadError("u/i/shard-00001.ndjson.gz", "Failed to fetch", null));
    expect(dropped.detail).toBe("Uploading shard-00001.ndjson.gz failed: Failed to fetch. Pick the same file again: what is already stored is not sent again.");
  });

  it("formatBytes() prints sizes a person reads at a glance", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_400_000)).toBe("1.4 MB");
    expect(formatBytes(812_000)).toBe("812 kB");
    expect(formatBytes(2_100_000_000)).toBe("2.1 GB");
  });
});
