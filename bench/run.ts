import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run bench`: runs every `bench/*.bench.ts` in turn (each prints its own figures, ideally as
 * ratios against a baseline measured in the same run). `npm run bench -- <name>` runs the ones
 * whose file name contains <name>.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? "";
const files = readdirSync(here).filter((f) => f.endsWith(".bench.ts") && f.includes(filter)).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n### ${file}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", path.join(here, file)], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed++;
}
if (failed > 0) process.exit(1);
