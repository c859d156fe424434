/**
 * The HTTP side of `/rest/v1`: profiles, auth, body, planning (with a lazy schema reload when a
 * name is unknown), one transaction per request via `withClaims`, and PostgREST's responses.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { withClaims } from "../db.ts";
import { header, headerRecord, readBody } from "../http.ts";
import type { ApiRequest } from "../surface.ts";
import { authenticate } from "./auth.ts";
import { PgrstError, singularityError, toPgrstError } from "./errors.ts";
import { planRequest, type Plan, type RequestInfo } from "./plan.ts";
import { parsePrefer, parseRange } from "./query.ts";
import type { SchemaCache } from "./schema-cache.ts";

/** What the handler needs from the stack. */
export interface RestContext {
  pool: pg.Pool;
  cache: SchemaCache;
  jwtSecret: string;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PATCH", "DELETE"]);
const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json; charset=utf-8";

/** The row every statement of sql.ts returns. */
interface ResultRow {
  total: string | null;
  page_total: string;
  body: string | null;
  response_headers: string | null;
  response_status: string | null;
}

/** Serves one `/rest/v1` request; never throws (errors become PostgREST error responses). */
export async function handleRest(ctx: RestContext, { req, res, path, url }: ApiRequest): Promise<void> {
  let role = "anon";
  try {
    const method = (req.method ?? "GET").toUpperCase();
    if (!METHODS.has(method)) {
      throw new PgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
    }
    const schema = profileOf(req, method, ctx.cache.schemas);
    const auth = await authenticate(header(req, "authorization"), ctx.jwtSecret);
    role = auth.role;
    if (path === "/" || path === "") {
      sendText(res, 200, JSON.stringify(openApiStub(ctx.cache, schema)), { "Content-Type": JSON_TYPE });
      return;
    }
    const route = parseRoute(path);
    const accept = parseAccept(header(req, "accept"));
    const info: RequestInfo = {
      method: method as RequestInfo["method"],
      schema,
      route,
      params: url.searchParams,
      body: method === "POST" || method === "PATCH" ? await readJsonBody(req, route.kind === "rpc") : undefined,
      prefs: parsePrefer(header(req, "prefer")),
      single: accept.single,
      stripNulls: accept.stripNulls,
      range: method === "GET" || method === "HEAD" ? parseRange(header(req, "range")) : undefined,
    };
    if (method === "PATCH" && isEmptyObject(info.body)) {
      // PostgREST treats an empty PATCH as a no-op.
      const rows = info.prefs.return === "representation";
      sendText(res, rows ? 200 : 204, rows ? "[]" : "", rows ? { "Content-Type": JSON_TYPE } : {});
      return;
    }
    if (method === "POST" && route.kind === "table" && Array.isArray(info.body) && info.body.length === 0) {
      sendText(res, 201, info.prefs.return === "representation" ? "[]" : "", { "Content-Type": JSON_TYPE });
      return;
    }
    const plan = await planWithReload(ctx.cache, info);
    const row = await withClaims(
      ctx.pool,
      {
        role: auth.role,
        claims: auth.claims,
        headers: headerRecord(req),
        method,
        path,
        settings: { "request.cookies": JSON.stringify(parseCookies(header(req, "cookie"))) },
      },
      async (client) => {
        const result = await client.query<ResultRow>(plan.statement.text, plan.statement.values);
        const first = result.rows[0];
        if (!first) throw new PgrstError(500, "PGRST000", "the statement returned no result row");
        const pageTotal = Number(first.page_total);
        if (plan.single && pageTotal !== 1) throw singularityError(pageTotal);
        const { handling, maxAffected } = info.prefs;
        if (handling === "strict" && maxAffected !== undefined && plan.kind !== "read" && pageTotal > maxAffected) {
          throw new PgrstError(400, "PGRST124", "Query result exceeds max-affected preference constraint", {
            details: `The query affects ${pageTotal} rows`,
          });
        }
        return first;
      },
      { readOnly: plan.readOnly },
    );
    respond(res, method, info, plan, row);
  } catch (error) {
    const err = toPgrstError(error, role);
    sendText(res, err.status, JSON.stringify(err.body()), { "Content-Type": JSON_TYPE, ...err.headers });
  }
}

/** Plans the request; when it names something unknown, reloads the cache once and retries. */
async function planWithReload(cache: SchemaCache, info: RequestInfo): Promise<Plan> {
  const generation = cache.generation;
  try {
    return planRequest(cache, info);
  } catch (error) {
    const code = error instanceof PgrstError ? error.code : "";
    if (!["PGRST202", "PGRST204", "PGRST205"].includes(code)) throw error;
    if (cache.generation === generation) await cache.reload();
    return planRequest(cache, info);
  }
}

/** The schema named by Accept-Profile (reads) or Content-Profile (writes), else the first exposed one. */
function profileOf(req: IncomingMessage, method: string, exposed: string[]): string {
  const name = method === "GET" || method === "HEAD" ? "accept-profile" : "content-profile";
  const profile = header(req, name);
  if (profile === undefined) return exposed[0]!;
  if (!exposed.includes(profile)) {
    throw new PgrstError(406, "PGRST106", `Invalid schema: ${profile}`, {
      hint: `Only the following schemas are exposed: ${exposed.join(", ")}`,
    });
  }
  return profile;
}

function parseRoute(path: string): RequestInfo["route"] {
  const invalid = () => new PgrstError(404, "PGRST125", `Invalid path specified in request URL: ${path}`);
  let segments: string[];
  try {
    segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    throw invalid();
  }
  if (segments.length === 1) return { kind: "table", name: segments[0]! };
  if (segments.length === 2 && segments[0] === "rpc") return { kind: "rpc", name: segments[1]! };
  throw invalid();
}

/** Reads the media types PostgREST answers with JSON; anything else is 406 PGRST107. */
function parseAccept(accept: string | undefined): { single: boolean; stripNulls: boolean } {
  if (!accept) return { single: false, stripNulls: false };
  for (const candidate of accept.split(",")) {
    const [type = "", ...params] = candidate.split(";").map((s) => s.trim().toLowerCase());
    const stripNulls = params.includes("nulls=stripped");
    if (type === "application/vnd.pgrst.object+json" || type === "application/vnd.pgrst.object") {
      return { single: true, stripNulls };
    }
    if (["application/json", "application/vnd.pgrst.array+json", "application/*", "*/*"].includes(type)) {
      return { single: false, stripNulls };
    }
  }
  throw new PgrstError(406, "PGRST107", `None of these media types are available: ${accept}`);
}

async function readJsonBody(req: IncomingMessage, rpc: boolean): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") {
    if (rpc) return {};
    throw new PgrstError(400, "PGRST102", "Empty or invalid json");
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new PgrstError(400, "PGRST102", "Empty or invalid json");
  }
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** `0-9/42`, `*\/0`, `*\/*`. */
export function contentRange(offset: number, pageTotal: number, total: number | undefined): string {
  const range = pageTotal > 0 ? `${offset}-${offset + pageTotal - 1}` : "*";
  return `${range}/${total ?? "*"}`;
}

function respond(res: ServerResponse, method: string, info: RequestInfo, plan: Plan, row: ResultRow): void {
  const pageTotal = Number(row.page_total);
  const total = row.total === null ? undefined : Number(row.total);
  const headers: Record<string, string> = {};
  let status: number;
  let body: string | undefined;
  const contentType = plan.single ? OBJECT_TYPE : JSON_TYPE;

  if (plan.kind === "read" || plan.kind === "rpc") {
    headers["Content-Range"] = contentRange(plan.offset, pageTotal, total);
    status = 200;
    if (total !== undefined && plan.kind === "read") {
      if (plan.offset > total && pageTotal === 0) {
        throw416(res, plan.offset, total);
        return;
      }
      if (pageTotal < total) status = 206;
    }
    if (plan.rpcVoid) status = 204;
    else body = row.body ?? "null";
  } else {
    headers["Content-Range"] =
      plan.kind === "insert" ? `*/${total ?? (info.prefs.count ? pageTotal : "*")}` : contentRange(0, pageTotal, info.prefs.count ? pageTotal : undefined);
    if (plan.kind === "insert") status = 201;
    else status = plan.returnsBody ? 200 : 204;
    if (plan.returnsBody) body = row.body ?? "[]";
    if (plan.location && row.body) {
      // headers-only: the CTE returned the primary key of the (first) inserted row.
      const first = (JSON.parse(row.body) as Record<string, unknown>[] | Record<string, unknown>) ?? {};
      const pk = Array.isArray(first) ? first[0] : first;
      if (pk) {
        const query = plan.location.primaryKey.map((c) => `${encodeURIComponent(c)}=eq.${encodeURIComponent(String(pk[c]))}`);
        headers.Location = `/${encodeURIComponent(plan.location.table)}?${query.join("&")}`;
      }
    }
    if (info.prefs.return) headers["Preference-Applied"] = `return=${info.prefs.return}`;
  }
  if (body !== undefined) headers["Content-Type"] = contentType;

  applyResponseGucs(row, headers, (s) => (status = s));
  if (status === 204 || method === "HEAD") body = undefined;
  sendText(res, status, body ?? "", headers);
}

function throw416(res: ServerResponse, offset: number, total: number): void {
  const err = new PgrstError(416, "PGRST103", "Requested range not satisfiable", {
    details: `An offset of ${offset} was requested, but there are only ${total} rows.`,
  });
  sendText(res, 416, JSON.stringify(err.body()), { "Content-Type": JSON_TYPE, "Content-Range": `*/${total}` });
}

/** Honours `set_config('response.status', …)` and `set_config('response.headers', '[{"X":"y"}]')`. */
function applyResponseGucs(row: ResultRow, headers: Record<string, string>, setStatus: (s: number) => void): void {
  if (row.response_status && /^\d{3}$/.test(row.response_status.trim())) setStatus(Number(row.response_status));
  if (!row.response_headers) return;
  try {
    const list = JSON.parse(row.response_headers) as unknown;
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (typeof item !== "object" || item === null) continue;
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) headers[k] = String(v);
    }
  } catch {
    // PostgREST answers 500 PGRST111 here; a bad header GUC should not hide the result locally.
  }
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A minimal OpenAPI document for `GET /rest/v1/` listing the tables of the profile's schema. */
function openApiStub(cache: SchemaCache, schema: string): Record<string, unknown> {
  return {
    swagger: "2.0",
    info: { title: "Engram local PostgREST stand-in", version: "local" },
    paths: Object.fromEntries(cache.tableNames(schema).map((name) => [`/${name}`, {}])),
  };
}
