import { describe, expect, it } from "vitest";
import { PgrstError, statusForSqlState, toPgrstError } from "./errors.ts";
import { parseParams, resolveRoutine } from "./plan.ts";
import { parseLogic, parseOperation, parseOrder, parsePrefer, parseRange, parseSelect } from "./query.ts";
import type { RoutineInfo } from "./schema-cache.ts";
import { buildRead, buildRpc } from "./sql.ts";

describe("parseSelect()", () => {
  it("parseSelect() reads star, alias, cast and JSON paths", () => {
    expect(parseSelect("*,nick:name,n::text,colour:meta->>color,meta->a->0")).toEqual([
      { kind: "star" },
      { kind: "column", field: { name: "name", path: [] }, alias: "nick", cast: undefined },
      { kind: "column", field: { name: "n", path: [] }, alias: undefined, cast: "text" },
      { kind: "column", field: { name: "meta", path: [{ arrow: "->>", key: "color" }] }, alias: "colour", cast: undefined },
      {
        kind: "column",
        field: { name: "meta", path: [{ arrow: "->", key: "a" }, { arrow: "->", key: "0" }] },
        alias: undefined,
        cast: undefined,
      },
    ]);
  });

  it("parseSelect() refuses embedded resources and odd casts with PGRST100", () => {
    expect(() => parseSelect("id,owner(name)")).toThrow(/embedded resources/);
    expect(() => parseSelect("n::text;drop")).toThrow(PgrstError);
  });
});

describe("parseOperation()", () => {
  it("parseOperation() keeps the raw value after the first dot", () => {
    expect(parseOperation("eq.a.b")).toEqual({ negated: false, operation: { op: "eq", value: "a.b" } });
    expect(parseOperation("not.like.*x*")).toEqual({ negated: true, operation: { op: "like", value: "*x*" } });
  });

  it("parseOperation() splits in.() on commas outside quotes", () => {
    expect(parseOperation('in.(1,"a,b","c (d)",e"f,"g\\"h")').operation).toEqual({
      op: "in",
      values: ["1", "a,b", "c (d)", 'e"f', 'g"h'],
    });
  });

  it("parseOperation() reads fts configs and any/all quantifiers", () => {
    expect(parseOperation("wfts(english).cat -dog").operation).toEqual({ op: "wfts", config: "english", value: "cat -dog" });
    expect(parseOperation("like(any).{a*,b*}").operation).toEqual({ op: "like", quantifier: "any", value: "{a*,b*}" });
  });

  it("parseOperation() throws PGRST100 for an unknown operator or a missing dot", () => {
    for (const bad of ["nope.1", "eq", "is.maybe", "in.1,2"]) {
      expect(() => parseOperation(bad), bad).toThrow(expect.objectContaining({ code: "PGRST100", status: 400 }));
    }
  });
});

describe("parseLogic()", () => {
  it("parseLogic() nests and/or/not with quoted values", () => {
    const tree = parseLogic("or", '(id.eq.1,and(n.gte.2,not.or(a.is.null,b.eq."x,y")),name.not.in.(a,b))');
    expect(tree).toEqual({
      kind: "logic",
      op: "or",
      negated: false,
      children: [
        { kind: "filter", field: { name: "id", path: [] }, negated: false, operation: { op: "eq", value: "1" } },
        {
          kind: "logic",
          op: "and",
          negated: false,
          children: [
            { kind: "filter", field: { name: "n", path: [] }, negated: false, operation: { op: "gte", value: "2" } },
            {
              kind: "logic",
              op: "or",
              negated: true,
              children: [
                { kind: "filter", field: { name: "a", path: [] }, negated: false, operation: { op: "is", value: "null" } },
                { kind: "filter", field: { name: "b", path: [] }, negated: false, operation: { op: "eq", value: "x,y" } },
              ],
            },
          ],
        },
        { kind: "filter", field: { name: "name", path: [] }, negated: true, operation: { op: "in", values: ["a", "b"] } },
      ],
    });
  });

  it("parseLogic() throws PGRST100 without parentheses", () => {
    expect(() => parseLogic("or", "a.eq.1")).toThrow(expect.objectContaining({ code: "PGRST100" }));
  });
});

describe("headers and paging", () => {
  it("parseOrder() reads directions and nulls placement", () => {
    expect(parseOrder("a.desc.nullslast,b,c->>d.asc")).toEqual([
      { field: { name: "a", path: [] }, direction: "desc", nulls: "last" },
      { field: { name: "b", path: [] } },
      { field: { name: "c", path: [{ arrow: "->>", key: "d" }] }, direction: "asc" },
    ]);
  });

  it("parsePrefer() reads comma-joined preferences", () => {
    expect(parsePrefer("count=exact, return=representation,resolution=merge-duplicates, missing=default")).toEqual({
      count: "exact",
      return: "representation",
      resolution: "merge-duplicates",
      missing: "default",
    });
  });

  it("parseParams() intersects the Range header with limit and offset", () => {
    const params = new URLSearchParams("limit=10&offset=2");
    expect(parseParams(params, parseRange("0-4")).shape).toMatchObject({ offset: 2, limit: 3 });
    expect(parseParams(new URLSearchParams(), parseRange("5-")).shape).toMatchObject({ offset: 5, limit: undefined });
  });
});

describe("SQL building", () => {
  it("buildRead() sends values only as parameters", () => {
    const evil = "x'); drop table t; --";
    const { shape } = parseParams(new URLSearchParams({ name: `eq.${evil}`, or: `(a.eq."${evil}",b.in.(1,2))` }), undefined);
    const stmt = buildRead({ schema: "public", name: "t", types: () => undefined }, shape, {
      count: true,
      body: "array",
      stripNulls: false,
    });
    expect(stmt.text).not.toContain("drop table");
    expect(stmt.values).toEqual([evil, evil, "1", "2"]);
  });

  it("buildRpc() calls with named arguments from json_to_record", () => {
    const stmt = buildRpc(
      { schema: "public", name: "f", args: [{ name: "a", type: "integer" }], argsJson: '{"a":1}', returnKind: "scalar", returnsSet: false },
      { select: [{ kind: "star" }], where: [], order: [], offset: 0 },
      { count: false, body: "array", stripNulls: false },
    );
    expect(stmt.text).toContain(`json_to_record($1::json) as pgrst_args("a" integer), lateral "public"."f"("a" := pgrst_args."a")`);
    expect(stmt.values).toEqual(['{"a":1}']);
  });
});

describe("routines and errors", () => {
  const routine = (name: string, args: [string, boolean][]): RoutineInfo => ({
    schema: "public",
    name,
    args: args.map(([n, hasDefault]) => ({ name: n, type: "integer", hasDefault })),
    returnKind: "scalar",
    returnsSet: false,
    volatility: "v",
    variadic: false,
  });

  it("resolveRoutine() picks the overload by argument names and honours defaults", () => {
    const one = routine("f", [["a", false]]);
    const two = routine("f", [["a", false], ["b", true]]);
    expect(resolveRoutine([one, two], ["a"], { get: false })?.routine).toBe(one);
    expect(resolveRoutine([one, two], ["a", "b"], { get: false })?.routine).toBe(two);
    expect(resolveRoutine([one, two], ["c"], { get: false })).toBeUndefined();
    expect(resolveRoutine([one, two], ["a", "status"], { get: true })?.routine).toBe(one);
  });

  it("statusForSqlState() follows PostgREST's mapping", () => {
    const cases: [string, string, number][] = [
      ["42501", "anon", 401],
      ["42501", "authenticated", 403],
      ["23505", "anon", 409],
      ["23503", "anon", 409],
      ["P0001", "anon", 400],
      ["PT409", "anon", 409],
      ["PT429", "anon", 429],
      ["42883", "anon", 404],
      ["42P01", "anon", 404],
      ["25006", "anon", 405],
      ["28000", "anon", 403],
      ["53300", "anon", 503],
      ["53400", "anon", 500],
      ["57014", "anon", 500],
      ["P0002", "anon", 500],
      ["23502", "anon", 400],
      ["22P02", "anon", 400],
    ];
    for (const [code, role, status] of cases) expect(statusForSqlState(code, "", role), code).toBe(status);
  });

  it("toPgrstError() turns raise sqlstate 'PGRST' JSON into status, body and headers", () => {
    const raised = Object.assign(new Error('{"code":"123","message":"custom","hint":"h"}'), {
      code: "PGRST",
      detail: '{"status":402,"headers":{"X-Pay":"now"}}',
    });
    const err = toPgrstError(raised, "anon");
    expect(err.status).toBe(402);
    expect(err.body()).toEqual({ code: "123", message: "custom", details: null, hint: "h" });
    expect(err.headers).toEqual({ "X-Pay": "now" });
  });
});
