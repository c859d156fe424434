import { afterAll, describe, expect, it } from "vitest";
import { q, testPool } from "./db.ts";

const db = testPool(2);
afterAll(() => db.end());

const SCHEMAS = ["public", "engram_private"];
/** Our policies on storage.objects (other suites add their own for their buckets at run time). */
const IMPORTS_OBJECT_POLICY = `schemaname = 'storage' and tablename = 'objects'
  and (coalesce(qual, '') || coalesce(with_check, '')) like '%''imports''%'`;

describe("schema hygiene", () => {
  it("every table in public and engram_private has row level security enabled", async () => {
    const tables = await q<{ name: string; rls: boolean }>(
      db,
      `select n.nspname || '.' || c.relname as name, c.relrowsecurity as rls
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($1) and c.relkind in ('r', 'p')
       order by 1`,
      [SCHEMAS],
    );
    expect(tables.length).toBeGreaterThanOrEqual(10);
    expect(tables.filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
  });

  it("every table and every function in public has a comment", async () => {
    const missing = await q<{ name: string }>(
      db,
      `select 'table ' || n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($1) and c.relkind in ('r', 'p') and obj_description(c.oid, 'pg_class') is null
       union all
       select 'function ' || p.oid::regprocedure::text
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and obj_description(p.oid, 'pg_proc') is null`,
      [SCHEMAS],
    );
    expect(missing.map((m) => m.name)).toEqual([]);
  });

  it("every security definer function pins search_path to ''", async () => {
    const loose = await q<{ name: string }>(
      db,
      `select p.oid::regprocedure::text as name
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any($1) and p.prosecdef
         and not coalesce(p.proconfig @> array['search_path=""'], false)`,
      [SCHEMAS],
    );
    expect(loose.map((l) => l.name)).toEqual([]);
  });

  it("no function in public or engram_private is executable by anon or PUBLIC", async () => {
    const open = await q<{ name: string }>(
      db,
      `select p.oid::regprocedure::text as name
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any($1)
         and (has_function_privilege('anon', p.oid, 'execute')
              or exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0))`,
      [SCHEMAS],
    );
    expect(open.map((o) => o.name)).toEqual([]);
  });

  it("every policy on our tables and on storage.objects is granted to authenticated only and named as a sentence", async () => {
    const policies = await q<{ table: string; name: string; roles: string[]; cmd: string }>(
      db,
      `select schemaname || '.' || tablename as table, policyname as name, roles::text[] as roles, cmd
       from pg_policies where schemaname = any($1) or (${IMPORTS_OBJECT_POLICY})`,
      [SCHEMAS],
    );
    expect(policies.length).toBeGreaterThanOrEqual(10);
    for (const p of policies) {
      expect(p.roles, `${p.table} ${p.name}`).toEqual(["authenticated"]);
      expect(p.cmd, `${p.table} ${p.name}: one policy per command`).not.toBe("ALL");
      expect(p.name, `${p.table} ${p.name}`).toMatch(/^Users can [a-z ]+$/);
    }
  });

  it("policies read auth.uid() through a sub-select so it runs once per statement", async () => {
    const perRow = await q<{ name: string }>(
      db,
      `select policyname as name from pg_policies
       where (schemaname = any($1) or (${IMPORTS_OBJECT_POLICY}))
         and (coalesce(qual, '') || coalesce(with_check, '')) ~ 'auth\\.uid\\(\\)'
         and (coalesce(qual, '') || coalesce(with_check, '')) !~ '\\(\\s*SELECT auth\\.uid\\(\\)'`,
      [SCHEMAS],
    );
    expect(perRow.map((p) => p.name)).toEqual([]);
  });

  it("user_profiles is published to supabase_realtime with replica identity full", async () => {
    const rows = await q<{ published: boolean; identity: string }>(
      db,
      `select exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime'
                        and schemaname = 'public' and tablename = 'user_profiles') as published,
              (select relreplident::text from pg_class where oid = 'public.user_profiles'::regclass) as identity`,
    );
    expect(rows[0]).toEqual({ published: true, identity: "f" });
  });

  it("the imports bucket is private with a size limit and an explicit MIME list", async () => {
    const [bucket] = await q<{ public: boolean; file_size_limit: string; allowed_mime_types: string[] }>(
      db,
      `select public, file_size_limit, allowed_mime_types from storage.buckets where id = 'imports'`,
    );
    expect(bucket?.public).toBe(false);
    expect(Number(bucket?.file_size_limit)).toBe(4 * 1024 ** 3);
    expect(bucket?.allowed_mime_types).toEqual(
      expect.arrayContaining(["application/json", "application/zip", "application/gzip", "application/x-ndjson"]),
    );
    expect(bucket?.allowed_mime_types).not.toContain("text/html");
  });

  it("at most one active run per user is a unique partial index, not code", async () => {
    const [idx] = await q<{ def: string }>(
      db,
      `select indexdef as def from pg_indexes where schemaname = 'engram_private' and indexname = 'import_runs_one_active_per_user'`,
    );
    expect(idx?.def).toMatch(/UNIQUE INDEX .* \(user_id\) WHERE \(status = ANY/);
  });
});
