/**
 * A fake of the Supabase HTTP API for Deno unit tests: routes are matched on method + path
 * (prefix `/auth/v1`, `/rest/v1`, `/storage/v1`, `/functions/v1` of {@link FAKE_URL}) and every
 * request is recorded. This fakes only the HTTP boundary; the code under test is real.
 */
export const FAKE_URL = "http://127.0.0.1:59999";

/** A recorded request. */
export interface Recorded {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
  bytes: Uint8Array;
}

/** A route answer: a Response, or a JSON value (200) / [status, json]. */
export type RouteAnswer = Response | { status: number; json: unknown } | unknown;

/** A route handler. */
export type Route = (req: Recorded) => RouteAnswer | Promise<RouteAnswer>;

/** A programmable fake fetch. */
export class FakeApi {
  readonly calls: Recorded[] = [];
  private readonly routes = new Map<string, Route>();

  /** Answers `METHOD /path` (exact path, or a prefix ending in `*`) with `route`. */
  on(methodAndPath: string, route: Route): this {
    this.routes.set(methodAndPath, route);
    return this;
  }

  /** Calls recorded for `METHOD /path`. */
  callsTo(methodAndPath: string): Recorded[] {
    return this.calls.filter((c) => `${c.method} ${c.path}` === methodAndPath);
  }

  /** The fetch to hand to the code under test. */
  readonly fetch: typeof fetch = async (input, init) => {
    const req = new Request(input instanceof Request ? input : String(input), init);
    const url = new URL(req.url);
    const bytes = req.body ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array(0);
    const rec: Recorded = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      body: new TextDecoder().decode(bytes),
      bytes,
    };
    this.calls.push(rec);
    let route = this.routes.get(`${rec.method} ${rec.path}`);
    if (!route) {
      for (const [key, r] of this.routes) {
        if (key.endsWith("*") && `${rec.method} ${rec.path}`.startsWith(key.slice(0, -1))) route = r;
      }
    }
    if (!route) {
      return new Response(JSON.stringify({ message: `no fake route for ${rec.method} ${rec.path}` }), {
        status: 599,
        headers: { "Content-Type": "application/json" },
      });
    }
    const answer = await route(rec);
    if (answer instanceof Response) return answer;
    if (answer && typeof answer === "object" && "status" in answer && "json" in answer) {
      const a = answer as { status: number; json: unknown };
      return jsonResponse(a.status, a.json);
    }
    return answer === undefined ? new Response(null, { status: 204 }) : jsonResponse(200, answer);
  };
}

/** A JSON response. */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A PostgREST error answer for `raise ... using errcode = 'PTxyz'`. */
export function ptError(status: number, reason: string, message: string, hint: unknown = null) {
  return {
    status,
    json: { code: `PT${status}`, message, details: reason, hint: hint === null ? null : JSON.stringify(hint) },
  };
}

/** A fake unsigned JWT with these claims (the handlers never verify signatures themselves). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.c2ln`;
}
