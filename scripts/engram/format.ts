import { isExportError } from "../../shared/errors.ts";

/** "12.3 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Parses "500MB", "2GB", "1024" into bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!m) throw new TypeError(`expected a size like 50MB or 2GB, found ${JSON.stringify(text)}`);
  const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? "b").toLowerCase() as "b"];
  return Math.round(Number(m[1]) * mult);
}

/** Prints an error for a person: typed export errors with their code and place. */
export function printError(e: unknown): void {
  if (isExportError(e)) console.error(`error [${e.code}]: ${e.message}`);
  else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
}
