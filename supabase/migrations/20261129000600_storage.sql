-- Storage: the private bucket `imports` and who may touch which object in it.
--
-- Layout: imports/<user id>/<import id>/manifest.json + shard files (the browser's normalized
-- export), or imports/<user id>/<name>.json|.zip (a raw export from the API / CLI).
--
-- Size limit 4 GiB per object: raw ChatGPT exports of hundreds of MB to ~2 GB are normal
-- (design.md §1), so 4 GiB is twice the largest normal export while still refusing absurd
-- uploads. The web app uploads compact shards (a small fraction of the ZIP), so only API users
-- get near it. Hosted projects also cap uploads by the project-wide limit (Settings > Storage;
-- 50 MB on the free plan), which wins when lower.
-- MIME types: what exports and shards are (JSON, ZIP, gzip'd NDJSON), plus
-- application/octet-stream and text/plain because clients and the CLI send those for
-- unrecognised files. Nothing renderable (no text/html, no images): the bucket is private.

-- ---------------------------------------------------------------------------------------------
-- Bucket
-- ---------------------------------------------------------------------------------------------
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values (
  'imports', 'imports', false, 4294967296,
  array[
    'application/json', 'application/zip', 'application/x-zip-compressed', 'application/gzip',
    'application/x-gzip', 'application/x-ndjson', 'application/octet-stream', 'text/plain'
  ]
)
on conflict (id) do update set
  public = excluded.public,
  file_size_limit = excluded.file_size_limit,
  allowed_mime_types = excluded.allowed_mime_types;

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------
-- A user may create, read, overwrite and delete only objects under imports/<own id>/, and only
-- with a normalized name (the same rule begin_import applies: no `..`, no leading `/`, no `//`,
-- no backslash, no `%`, no control characters). anon gets nothing. The folder test is written
-- out (not only inside the helper) so the planner sees the bucket/prefix condition.

create policy "Users can upload imports into their own folder"
  on storage.objects for insert
  to authenticated
  with check (
    bucket_id = 'imports'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and engram_private.object_path_problem((select auth.uid()), name) is null
  );

create policy "Users can read imports in their own folder"
  on storage.objects for select
  to authenticated
  using (
    bucket_id = 'imports'
    and (storage.foldername(name))[1] = (select auth.uid())::text
  );

create policy "Users can replace imports in their own folder"
  on storage.objects for update
  to authenticated
  using (
    bucket_id = 'imports'
    and (storage.foldername(name))[1] = (select auth.uid())::text
  )
  with check (
    bucket_id = 'imports'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and engram_private.object_path_problem((select auth.uid()), name) is null
  );

create policy "Users can delete imports in their own folder"
  on storage.objects for delete
  to authenticated
  using (
    bucket_id = 'imports'
    and (storage.foldername(name))[1] = (select auth.uid())::text
  );
