import { describe, expect, it } from "vitest";
import { ExportError } from "../errors.ts";
import { JsonArraySplitter } from "./array-splitter.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function split(text: string | Uint8Array, chunkSize: number, maxElementBytes = 1 << 20) {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const elements: { text: string; index: number; offset: number }[] = [];
  const oversized: { index: number; offset: number; size: number }[] = [];
  const s = new JsonArraySplitter({
    part: "test.json",
    maxElementBytes,
    onElement: (b, index, offset) => elements.push({ text: dec.decode(b), index, offset }),
    onOversized: (index, offset, size) => oversized.push({ index, offset, size }),
  });
  for (let o = 0; o < bytes.length; o += chunkSize) s.push(bytes.subarray(o, o + chunkSize));
  s.end();
  return { elements, oversized };
}

function errorOf(fn: () => unknown): ExportError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
  throw new Error("expected an ExportError, got none");
}

const TRICKY = `\uFEFF [ {"a":"x]}\\"{[","b":[1,{"c":"\\\\"}]} , "str\\"ing]" ,12.5e3, true ,null, [[]], {"k":"日本🎉"} ]  \n`;

describe("JsonArraySplitter", () => {
  it("split() hands out each element's exact bytes and offset for every chunk size", () => {
    const expected = [`{"a":"x]}\\"{[","b":[1,{"c":"\\\\"}]}`, `"str\\"ing]"`, "12.5e3", "true", "null", "[[]]", `{"k":"日本🎉"}`];
    const bytes = enc.encode(TRICKY);
    for (const size of [1, 2, 3, 5, 7, 16, 1000]) {
      const { elements } = split(bytes, size);
      expect(elements.map((e) => e.text), `chunk size ${size}`).toEqual(expected);
      expect(elements.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (const e of elements) expect(dec.decode(bytes.subarray(e.offset, e.offset + enc.encode(e.text).length))).toBe(e.text);
      for (const e of elements) expect(() => JSON.parse(e.text)).not.toThrow();
    }
  });

  it("split() tracks runs of backslashes before quotes across every chunk boundary", () => {
    const element = String.raw`{"k":"\\\\\\\"x\\\\","l":"\"","m":"\\"}`;
    expect(JSON.parse(element)).toEqual({ k: '\\\\\\"x\\\\', l: '"', m: "\\" });
    for (let size = 1; size <= 9; size++) {
      expect(split(`[${element},${element}]`, size).elements.map((e) => e.text)).toEqual([element, element]);
    }
  });

  it("split() accepts an empty array and surrounding whitespace", () => {
    expect(split(" \n[ ] \n", 1).elements).toEqual([]);
  });

  it("end() throws truncated when the input stops inside the array, for every cut point", () => {
    const full = enc.encode(`[{"a":"b\\"c"},{"d":[1,2]}]`);
    for (let cut = 0; cut < full.length; cut++) {
      const e = errorOf(() => split(full.subarray(0, cut), 3));
      expect(e.code, `cut at ${cut}`).toBe("truncated");
      expect(e.part).toBe("test.json");
    }
  });

  it("push() throws invalid_json with the byte offset when a comma is missing", () => {
    const e = errorOf(() => split(`[{"a":1} {"b":2}]`, 4));
    expect(e.code).toBe("invalid_json");
    expect(e.offset).toBe(9);
  });

  it("push() throws invalid_json on data after the array and on a trailing comma", () => {
    expect(errorOf(() => split(`[1,2] x`, 2)).code).toBe("invalid_json");
    expect(errorOf(() => split(`[1,2,]`, 2)).code).toBe("invalid_json");
    expect(errorOf(() => split(`[,1]`, 2)).code).toBe("invalid_json");
    expect(errorOf(() => split(`nope`, 2)).code).toBe("invalid_json");
  });

  it("push() throws wrong_shape when the top level is an object", () => {
    const e = errorOf(() => split(` {"conversations":[]}`, 5));
    expect(e.code).toBe("wrong_shape");
    expect(e.offset).toBe(1);
  });

  it("push() reports an element over the cap as oversized without buffering it, and goes on", () => {
    const big = `{"text":"${"x".repeat(5000)}\\"]"}`;
    const text = `[{"a":1},${big},{"b":2}]`;
    for (const size of [7, 64, 100000]) {
      const { elements, oversized } = split(text, size, 1000);
      expect(elements.map((e) => e.text)).toEqual([`{"a":1}`, `{"b":2}`]);
      expect(elements.map((e) => e.index)).toEqual([0, 2]);
      expect(oversized).toEqual([{ index: 1, offset: 9, size: enc.encode(big).length }]);
    }
  });
});
