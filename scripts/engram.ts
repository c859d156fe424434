import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "./engram/command.ts";

/**
 * `npm run engram -- <command> [args]`. Each command is one file `scripts/engram/<command>.ts`
 * exporting `command: Command` — adding a file adds a command (no registry to edit).
 */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "engram");

async function load(name: string): Promise<Command | null> {
  if (!/^[a-z][a-z-]*$/.test(name)) return null;
  const file = path.join(dir, `${name}.ts`);
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { command?: Command };
  return mod.command ?? null;
}

async function help(): Promise<void> {
  console.log("usage: npm run engram -- <command> [args]\n\ncommands:");
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.includes(".test.")).sort()) {
    const c = await load(f.slice(0, -3));
    if (c) console.log(`  ${c.usage}\n      ${c.summary}`);
  }
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === "help" || name === "--help" || name === "-h") {
  await help();
  process.exit(name ? 0 : 1);
}
const command = await load(name);
if (!command) {
  console.error(`unknown command ${JSON.stringify(name)}\n`);
  await help();
  process.exit(1);
}
process.exitCode = await command.run(args);
