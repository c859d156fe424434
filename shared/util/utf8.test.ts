import { describe, expect, it } from "vitest";
import { ExportError } from "../errors.ts";
import { decodeUtf8, findInvalidUtf8 } from "./utf8.ts";

describe("utf8", () => {
  it("findInvalidUtf8() returns -1 for valid text including 4-byte sequences", () => {
    expect(findInvalidUtf8(new TextEncoder().encode("aé日🎉z"))).toBe(-1);
  });

  it("findInvalidUtf8() finds stray continuation, overlong, surrogate and truncated sequences", () => {
    expect(findInvalidUtf8(new Uint8Array([0x61, 0x80]))).toBe(1);
    expect(findInvalidUtf8(new Uint8Array([0x61, 0xc0, 0xaf]))).toBe(1);
    expect(findInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0);
    expect(findInvalidUtf8(new Uint8Array([0x61, 0x62, 0xe6, 0x97]))).toBe(2);
    expect(findInvalidUtf8(new Uint8Array([0xf5, 0x80, 0x80, 0x80]))).toBe(0);
  });

  it("decodeUtf8() throws invalid_utf8 with the absolute offset of the bad byte", () => {
    try {
      decodeUtf8(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), { part: "x.json", offset: 100 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExportError);
      expect((e as ExportError).code).toBe("invalid_utf8");
      expect((e as ExportError).offset).toBe(102);
    }
  });
});
