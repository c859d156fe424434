-- Realtime: the web app subscribes to postgres_changes on public.user_profiles with the filter
-- user_id=eq.<own id>. Realtime authorizes each change per subscriber by running the table's
-- SELECT policy ("Users can read their own profile") against the row; replica identity full puts
-- the whole old row into the WAL, so updates and deletes can be authorized (and filtered) too.

alter table public.user_profiles replica identity full;

do $$
begin
  if not exists (
    select 1 from pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'user_profiles'
  ) then
    alter publication supabase_realtime add table public.user_profiles;
  end if;
end
$$;
