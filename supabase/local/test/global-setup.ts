import { createWriteStream, type WriteStream } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { defaultConfig } from "../src/config.ts";
import { startStack, type RunningStack } from "../src/stack.ts";
import type { StackInfo } from "./stack-info.ts";

let stack: RunningStack | undefined;
let stateDir: string | undefined;
let requestLog: WriteStream | undefined;

/**
 * Starts one fresh local stack for the whole test run, on ports that do not collide with
 * `npm start` (54331 API / 54332 DB), in a throw-away state folder. Tests reach it only through
 * the URL and keys provided here (`inject("stack")`).
 */
export async function setup(project: TestProject): Promise<void> {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), "engram-test-stack-"));
  // One append stream: lines stay in order and none is written after teardown removed the folder.
  requestLog = createWriteStream(path.join(stateDir, "requests.log"), { flags: "a" });
  requestLog.on("error", () => {});
  const cfg = defaultConfig({
    apiPort: Number(process.env.TEST_API_PORT ?? 54331),
    dbPort: Number(process.env.TEST_DB_PORT ?? 54332),
    stateDir,
    // rest.test.ts keeps its tables and functions out of `public`, which schema tests inspect.
    restSchemas: ["public", "rest_conformance"],
    functionsDirs: [
      path.join(defaultConfig().supabaseDir, "functions"),
      path.join(import.meta.dirname, "fixtures", "functions"),
    ],
  });
  const log = requestLog;
  stack = await startStack(cfg, (line) => void log.write(`${line}\n`));
  const info: StackInfo = {
    url: stack.url,
    dbUrl: stack.dbUrl,
    anonKey: cfg.anonKey,
    serviceRoleKey: cfg.serviceRoleKey,
    publishableKey: cfg.publishableKey,
    secretKey: cfg.secretKey,
    jwtSecret: cfg.jwtSecret,
    stateDir,
  };
  project.provide("stack", info);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  await new Promise<void>((resolve) => (requestLog ? requestLog.end(() => resolve()) : resolve()));
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
}
