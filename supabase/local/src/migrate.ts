import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import type { StackConfig } from "./config.ts";
import { dbUrl } from "./config.ts";

/** Path of the Go binary the pinned `supabase@2.117.0` npm package installs (its JS shim only
 * locates and spawns this file). */
export function supabaseCliPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve("@supabase/cli-linux-x64/package.json"));
  return path.join(pkg, "bin", "supabase");
}

/**
 * Applies `supabase/migrations` with the real Supabase CLI:
 * `supabase db push --db-url …?sslmode=disable --yes`. The CLI records what it applied in
 * `supabase_migrations.schema_migrations`, so a restart applies only new files.
 */
export async function pushMigrations(cfg: StackConfig): Promise<string> {
  const url = `${dbUrl(cfg)}?sslmode=disable`;
  const args = ["db", "push", "--db-url", url, "--yes", "--include-all"];
  return await new Promise((resolve, reject) => {
    const child = spawn(supabaseCliPath(), args, {
      cwd: path.dirname(cfg.supabaseDir),
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`supabase db push failed (exit ${code}):\n${output}`));
    });
  });
}
