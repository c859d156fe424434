import path from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { defaultConfig } from "../supabase/local/src/config.ts";
import { startStack } from "../supabase/local/src/stack.ts";

/**
 * `npm start`: the local Supabase stack (Postgres 54322, API 54321) plus the web app (5173).
 * Data persists in .state/local; `npm run reset` wipes it. Ctrl-C stops everything cleanly.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = performance.now();
const cfg = defaultConfig({ strictCpu: process.env.EDGE_STRICT_CPU === "1" });
const stack = await startStack(cfg);

process.env.VITE_SUPABASE_URL ??= stack.url;
process.env.VITE_SUPABASE_ANON_KEY ??= cfg.anonKey;
const web = await createServer({ configFile: path.join(root, "web", "vite.config.ts"), logLevel: "warn" });
await web.listen();
const webUrl = web.resolvedUrls?.local[0] ?? "http://127.0.0.1:5173/";
const seconds = ((performance.now() - started) / 1000).toFixed(1);

console.log(`
Engram is running (ready in ${seconds} s)

  Web app          ${webUrl}
  API URL          ${stack.url}
  DB URL           ${stack.dbUrl}
  anon key         ${cfg.anonKey}
  service_role key ${cfg.serviceRoleKey}
  publishable key  ${cfg.publishableKey}
  secret key       ${cfg.secretKey}
  JWT secret       ${cfg.jwtSecret}

Open ${webUrl} and sign up. Ctrl-C stops; \`npm run reset\` wipes the local data.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("stopping…");
  await web.close();
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
