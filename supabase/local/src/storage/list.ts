import { withClaims } from "../db.ts";
import { readJson, sendJson } from "../http.ts";
import { authorize, type StorageCall } from "./context.ts";
import { ERRORS } from "./errors.ts";

const SORT_COLUMNS = new Set(["name", "updated_at", "created_at", "last_accessed_at"]);

/** The body storage-js sends to `POST /object/list/<bucket>`. */
interface ListBody {
  prefix?: unknown;
  limit?: unknown;
  offset?: unknown;
  search?: unknown;
  sortBy?: { column?: unknown; order?: unknown };
}

/**
 * One folder level of a bucket, as the caller may see it (hosted `storage.search`): the prefix is
 * a folder (a `/` is appended), `search` narrows names starting with it, only direct children
 * come back, sub-folders as `{name, id:null, …, metadata:null}`, names relative to the prefix,
 * matching and name ordering case-insensitive; at most 1500 entries per page.
 */
export const LIST_SQL = `
with m as (
  select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata,
         substr(o.name, length($3::text) + 1) as rest
  from storage.objects o
  where o.bucket_id = $1 and lower(left(o.name, length($2))) = lower($2)
), entries as (
  select min(split_part(rest, '/', 1)) as name, null::uuid as id, null::timestamptz as updated_at,
         null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata,
         true as is_folder
  from m where position('/' in rest) > 0
  group by lower(split_part(rest, '/', 1))
  union all
  select rest, id, updated_at, created_at, last_accessed_at, metadata, false
  from m where position('/' in rest) = 0 and rest <> ''
)
select name, id, updated_at, created_at, last_accessed_at, metadata from entries`;

/** `POST /object/list/<bucket>`. */
export async function listObjects(call: StorageCall, bucketId: string): Promise<void> {
  const { claims } = await authorize(call, "storage.object.list");
  const body = ((await readJson(call.req)) ?? {}) as ListBody;
  let prefix = typeof body.prefix === "string" ? body.prefix : "";
  if (prefix.length > 0 && !prefix.endsWith("/")) prefix += "/";
  const search = typeof body.search === "string" ? body.search : "";
  const limit = Math.min(Math.max(Number(body.limit ?? 100) || 100, 1), 1500);
  const offset = Math.max(Number(body.offset ?? 0) || 0, 0);
  const column = typeof body.sortBy?.column === "string" && SORT_COLUMNS.has(body.sortBy.column)
    ? body.sortBy.column
    : "name";
  const order = String(body.sortBy?.order ?? "asc").toLowerCase() === "desc" ? "desc" : "asc";
  if (!Number.isInteger(limit) || !Number.isInteger(offset)) throw ERRORS.invalidParameter("limit and offset must be integers");
  // Folders first when sorting by a timestamp (they have none), like hosted.
  const orderBy =
    column === "name"
      ? `lower(name) collate "C" ${order}, name collate "C" ${order}`
      : `is_folder desc, ${column} ${order}, lower(name) collate "C" asc`;
  const rows = await withClaims(
    call.pool,
    claims,
    async (client) =>
      (
        await client.query(
          `${LIST_SQL} order by ${orderBy} limit $4 offset $5`,
          [bucketId, prefix + search, prefix, limit, offset],
        )
      ).rows,
    { readOnly: true },
  );
  sendJson(call.res, 200, rows);
}
