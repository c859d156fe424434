import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fixtureUrl } from "./fixtures.ts";

/** Reads a fixture file's bytes (Node tests). */
export function loadFixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(fixtureUrl(path))));
}
