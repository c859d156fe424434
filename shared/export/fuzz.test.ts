import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { isExportError } from "../errors.ts";
import { ConversationSchema } from "../model/conversation.ts";
import { collectExport } from "../testing/collect.ts";
import { FIXTURES } from "../testing/fixtures.ts";
import { generateExport } from "../testing/generate-export.ts";
import { loadFixture } from "../testing/load-fixture.ts";
import { Rng } from "../testing/rng.ts";
import { concatBytes } from "../testing/streams.ts";

const ITERATIONS = 120;
const PER_CASE_MS = 5000;

type Outcome = { kind: "ok"; conversations: number } | { kind: "error"; code: string };

/** Reads mutated bytes; any outcome but a typed ExportError or a schema-valid result fails the test. */
async function outcome(name: string, bytes: Uint8Array, chunkSize: number): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${PER_CASE_MS} ms`)), PER_CASE_MS);
  });
  try {
    const r = await Promise.race([collectExport(name, bytes, chunkSize), timeout]);
    for (const c of r.items) ConversationSchema.parse(c);
    return { kind: "ok", conversations: r.items.length };
  } catch (e) {
    if (isExportError(e)) return { kind: "error", code: e.code };
    throw new Error(`untyped failure (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

function flip(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
  return out;
}

const json = concatBytes([loadFixture(FIXTURES.chatgpt)]);
const synthetic = concatBytes(generateExport({ conversations: 12, seed: 9 }));
const zip = zipSync({ "chat.html": new TextEncoder().encode("<html></html>"), "conversations.json": synthetic, "img.png": new Uint8Array(500).fill(7) });

describe("fuzz: random truncation and byte flips (seeded, bounded)", () => {
  it("readExport() rejects every truncated JSON export with a typed error", async () => {
    const rng = new Rng(1);
    for (let i = 0; i < ITERATIONS; i++) {
      const source = i % 2 ? json : synthetic;
      const cut = rng.int(0, source.length - 2);
      const o = await outcome("conversations.json", source.subarray(0, cut), rng.int(1, 9000));
      expect(o.kind, `cut at ${cut}`).toBe("error");
    }
  });

  it("readExport() answers byte-flipped JSON with a typed error or a schema-valid result", async () => {
    const rng = new Rng(2);
    const codes = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const o = await outcome("conversations.json", flip(rng, i % 2 ? json : synthetic), rng.int(1, 9000));
      if (o.kind === "error") codes.add(o.code);
    }
    expect(codes.size).toBeGreaterThan(1);
  });

  it("readExport() rejects every truncated ZIP with a typed error", async () => {
    const rng = new Rng(3);
    for (let i = 0; i < ITERATIONS; i++) {
      const cut = rng.int(0, zip.length - 1);
      const o = await outcome("export.zip", zip.subarray(0, cut), rng.int(16, 9000));
      expect(o.kind, `cut at ${cut}`).toBe("error");
    }
  });

  it("readExport() answers byte-flipped ZIPs with a typed error or a schema-valid result", async () => {
    const rng = new Rng(4);
    let errors = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const o = await outcome("export.zip", flip(rng, zip), rng.int(1, 9000));
      if (o.kind === "error") errors++;
    }
    expect(errors).toBeGreaterThan(ITERATIONS / 4);
  });
});
