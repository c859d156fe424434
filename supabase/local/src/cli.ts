import fs from "node:fs/promises";
import { defaultConfig } from "./config.ts";
import { startStack } from "./stack.ts";

/**
 * `npm run stack -- start` starts the local stack alone (no web app) and waits for Ctrl-C;
 * `npm run reset` deletes its state folder (database, storage bytes) so the next start is fresh.
 */
async function main(command = "start"): Promise<void> {
  const cfg = defaultConfig({ strictCpu: process.env.EDGE_STRICT_CPU === "1" });
  if (command === "reset") {
    await fs.rm(cfg.stateDir, { recursive: true, force: true });
    console.log(`removed ${cfg.stateDir}`);
    return;
  }
  if (command !== "start") throw new TypeError(`unknown command "${command}": expected start or reset`);
  const stack = await startStack(cfg);
  console.log(`local stack ready in ${stack.timings.total} ms at ${stack.url} (db ${stack.dbUrl})`);
  const stop = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main(process.argv[2]);
