import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fixtureUrl } from "../testing/fixtures.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { parityDigests } from "../testing/parity.ts";

describe("Node/Deno parity", () => {
  it("normalizeExport() in Node gives the shard and manifest digests committed in fixtures/expected/parity.json (Deno checks the same file)", async () => {
    const expected = JSON.parse(readFileSync(fileURLToPath(fixtureUrl("expected/parity.json")), "utf8"));
    const actual = await parityDigests(async (p) => loadFixture(p));
    expect(actual).toEqual(expected);
  });
});
