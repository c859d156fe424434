import { describe, expect, it } from "vitest";
import { FilterError, matchesFilter, parseFilter } from "./filter.ts";
import { convertCell, parseArrayLiteral } from "./values.ts";

const types = { id: "int8", name: "text", done: "bool", at: "timestamptz", note: "text" };

describe("parseFilter()", () => {
  it("parseFilter() reads quoted in-lists, not. and comma-AND", () => {
    expect(parseFilter('name=in.(a,"b,c",d),id=not.gt.5')).toEqual([
      { column: "name", operator: "in", negate: false, value: ["a", "b,c", "d"] },
      { column: "id", operator: "gt", negate: true, value: "5" },
    ]);
  });

  it("parseFilter() throws FilterError on an unknown operator or a missing value", () => {
    expect(() => parseFilter("id=between.1")).toThrow(FilterError);
    expect(() => parseFilter("id")).toThrow(FilterError);
    expect(() => parseFilter("id=in.1,2")).toThrow(FilterError);
  });
});

describe("matchesFilter()", () => {
  const row = { id: 7, name: "Pear", done: false, at: "2026-01-02 03:04:05.123+00", note: null };
  const holds = (f: string) => matchesFilter(parseFilter(f), row, types);

  it("matchesFilter() compares numbers numerically, not as text", () => {
    expect(holds("id=gt.10")).toBe(false);
    expect(holds("id=lt.10")).toBe(true);
    expect(holds("id=in.(1,7)")).toBe(true);
  });

  it("matchesFilter() treats NULL like SQL: no comparison holds, not even negated", () => {
    expect(holds("note=eq.x")).toBe(false);
    expect(holds("note=not.eq.x")).toBe(false);
    expect(holds("note=is.null")).toBe(true);
    expect(holds("note=isdistinct.x")).toBe(true);
  });

  it("matchesFilter() supports like/ilike, booleans and timestamps", () => {
    expect(holds("name=like.P%")).toBe(true);
    expect(holds("name=like.p%")).toBe(false);
    expect(holds("name=ilike.p_ar")).toBe(true);
    expect(holds("done=eq.false")).toBe(true);
    expect(holds("done=is.true")).toBe(false);
    expect(holds("at=gt.2026-01-01T00:00:00Z")).toBe(true);
  });

  it("matchesFilter() does not hold on a column the row lacks", () => {
    expect(matchesFilter(parseFilter("user_id=eq.1"), { id: 1 }, { id: "int8", user_id: "uuid" })).toBe(false);
  });
});

describe("convertCell()", () => {
  it("convertCell() types numbers, booleans, json and arrays; keeps big ints and timestamps as text", () => {
    expect(convertCell("int4", "42")).toBe(42);
    expect(convertCell("int8", "9007199254740993")).toBe("9007199254740993");
    expect(convertCell("bool", "t")).toBe(true);
    expect(convertCell("jsonb", '{"a":[1]}')).toEqual({ a: [1] });
    expect(convertCell("_int4", "{1,NULL,3}")).toEqual([1, null, 3]);
    expect(convertCell("_text", '{"a,b","q\\"t",c}')).toEqual(["a,b", 'q"t', "c"]);
    expect(convertCell("timestamptz", "2026-01-02 03:04:05+00")).toBe("2026-01-02 03:04:05+00");
    expect(parseArrayLiteral("{{1,2},{3,4}}", Number)).toEqual([[1, 2], [3, 4]]);
  });
});
