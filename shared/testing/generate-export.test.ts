import { describe, expect, it } from "vitest";
import { collectExport } from "./collect.ts";
import { generateExport } from "./generate-export.ts";
import { concatBytes } from "./streams.ts";
import { sha256Hex } from "../util/sha256.ts";

describe("generateExport", () => {
  it("generateExport() is deterministic per seed and differs across seeds", async () => {
    const digest = (seed: number) => sha256Hex(concatBytes(generateExport({ conversations: 20, seed })));
    expect(await digest(5)).toBe(await digest(5));
    expect(await digest(5)).not.toBe(await digest(6));
  });

  it("generateExport() stops at the target size and yields valid, readable ChatGPT JSON", async () => {
    const bytes = concatBytes(generateExport({ targetBytes: 2_000_000, seed: 1 }));
    expect(bytes.length).toBeGreaterThanOrEqual(2_000_000);
    expect(bytes.length).toBeLessThan(2_300_000);
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { mapping: object }[];
    const r = await collectExport("conversations.json", bytes);
    expect(r.errors).toEqual([]);
    expect(r.items).toHaveLength(parsed.length);
    expect(r.customInstructions.length).toBe(1);
    // Hidden, tool and reasoning nodes exist in the input but never reach the normalized output.
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain('"content_type":"thoughts"');
    expect(text).toContain('"content_type":"execution_output"');
    expect(text).toContain("(abandoned draft)");
    const out = JSON.stringify(r.items);
    expect(out).not.toContain("(abandoned draft)");
    expect(out).not.toContain("print(sum(range(10)))");
  });
});
