// Deno test (run by scripts/test.ts: `deno test --allow-all` on shared/**/*_test.ts): the same
// normalization as export/parity.test.ts in Node, held to the same committed digests.
import { fixtureUrl } from "../testing/fixtures.ts";
import { parityDigests } from "../testing/parity.ts";
// Type-checked by Deno as well (not used here): the LLM extractor must run in Edge Functions.
import "../memory/llm/llm-extractor.ts";

type DenoTest = { test(name: string, fn: () => Promise<void>): void };
const deno = (globalThis as unknown as { Deno: DenoTest }).Deno;

deno.test("normalizeExport() in Deno gives the digests committed in fixtures/expected/parity.json", async () => {
  const load = async (p: string) => new Uint8Array(await (await fetch(fixtureUrl(p))).arrayBuffer());
  const expected = JSON.parse(new TextDecoder().decode(await load("expected/parity.json")));
  const actual = await parityDigests(load);
  const a = JSON.stringify(actual, null, 1);
  const e = JSON.stringify(expected, null, 1);
  if (a !== e) throw new Error(`Deno digests differ from fixtures/expected/parity.json:\nactual ${a}\nexpected ${e}`);
});
