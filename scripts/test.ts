import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm test`: every test of the project, in order — typecheck, Deno check, vitest (unit, stack,
 * web), Deno tests, then the browser end-to-end tests (installing Debian's chromium first when
 * running as root). Stops at the first failing step with its exit code.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

function run(title: string, command: string, args: string[]): void {
  console.log(`\n=== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

function findFiles(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(full, pattern));
    else if (pattern.test(entry.name)) out.push(path.relative(root, full));
  }
  return out;
}

/** Makes sure /usr/bin/chromium exists, installing it with apt when we are root. */
function ensureChromium(): void {
  if (existsSync("/usr/bin/chromium")) return;
  if (process.getuid?.() !== 0) {
    console.error("The browser tests need Chromium. Run: sudo apt-get update && sudo apt-get install -y chromium");
    process.exit(1);
  }
  run("install chromium", "bash", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null"]);
}

const only = process.argv[2];
if (!only || only === "static") {
  run("typecheck", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
  // Deno code: the functions (their Node integration tests in functions/tests excepted), the local
  // runtime's bootstrap and the fixture functions.
  const entries = [
    ...findFiles(path.join(root, "supabase", "functions"), /\.ts$/).filter((f) => !f.includes("/tests/")),
    ...findFiles(path.join(root, "supabase", "local", "src", "functions", "runtime"), /\.ts$/),
    ...findFiles(path.join(root, "supabase", "local", "test", "fixtures", "functions"), /\.ts$/),
  ];
  if (entries.length > 0) run("deno check", bin("deno"), ["check", "--quiet", "--config", "deno.json", ...entries]);
}
if (!only || only === "vitest") {
  run("vitest", bin("vitest"), ["run", "--project", "unit", "--project", "stack", "--project", "web"]);
}
if (!only || only === "deno") {
  const denoTests = [
    ...findFiles(path.join(root, "supabase", "functions"), /_test\.ts$/),
    ...findFiles(path.join(root, "shared"), /_test\.ts$/),
  ];
  if (denoTests.length > 0) run("deno test", bin("deno"), ["test", "--allow-all", "--quiet", ...denoTests]);
}
if (!only || only === "e2e") {
  if (findFiles(path.join(root, "web", "e2e"), /\.test\.ts$/).length > 0) {
    ensureChromium();
    run("browser e2e", bin("vitest"), ["run", "--project", "e2e"]);
  }
}
console.log("\nall test steps passed");
