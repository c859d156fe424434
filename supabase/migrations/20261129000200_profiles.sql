-- Profiles: one row per user with the whole import picture the app shows (and Realtime streams).
-- Users read their own row; every status column changes only through the RPCs in
-- 20261129000500_imports.sql (users have no INSERT/UPDATE/DELETE privilege and no such policy).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table public.user_profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  import_status text not null default 'none'
    check (import_status in ('none', 'processing', 'quick_ready', 'complete', 'failed')),
  import_stage text,
  progress_percent int not null default 0 check (progress_percent between 0 and 100),
  import_error text,
  processing_started_at timestamptz,
  storage_path text,
  file_type text check (file_type in ('json', 'zip', 'shards')),
  import_id uuid,
  full_pass_status text not null default 'pending'
    check (full_pass_status in ('pending', 'processing', 'complete', 'failed')),
  full_pass_error text,
  full_pass_error_kind text check (full_pass_error_kind in ('retryable', 'permanent')),
  full_pass_started_at timestamptz,
  full_pass_completed_at timestamptz,
  full_pass_attempts int not null default 0 check (full_pass_attempts >= 0),
  failed_items int not null default 0 check (failed_items >= 0),
  total_items int not null default 0 check (total_items >= 0),
  done_items int not null default 0 check (done_items >= 0),
  conversation_count int not null default 0 check (conversation_count >= 0),
  current_run_id uuid,
  last_heartbeat_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A recorded export always has its type, and vice versa.
  constraint user_profiles_export_complete check ((storage_path is null) = (file_type is null))
);
comment on table public.user_profiles is
  'One row per user (created by a trigger on auth.users): import and full-pass status, progress, stored export (storage_path/file_type), counters. Users may read their own row only; status columns change only through RPCs. Streamed by Realtime (replica identity full).';

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------
create trigger user_profiles_set_updated_at
  before update on public.user_profiles
  for each row execute function engram_private.set_updated_at();

create or replace function engram_private.user_profiles_check_transition() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform engram_private.assert_transition('profile_import', old.import_status, new.import_status);
  perform engram_private.assert_transition('profile_full_pass', old.full_pass_status, new.full_pass_status);
  return new;
end
$$;
comment on function engram_private.user_profiles_check_transition() is
  'Trigger: refuses import_status / full_pass_status changes not listed in status_transitions.';

create trigger user_profiles_check_transition
  before update of import_status, full_pass_status on public.user_profiles
  for each row execute function engram_private.user_profiles_check_transition();

-- Every new auth user gets a profile. Security definer because the inserting role
-- (supabase_auth_admin on hosted) has no rights on public.user_profiles.
create or replace function engram_private.handle_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.user_profiles (user_id) values (new.id) on conflict (user_id) do nothing;
  return new;
end
$$;
comment on function engram_private.handle_new_user() is 'Trigger on auth.users: creates the user''s profile row.';

create trigger on_auth_user_created_create_profile
  after insert on auth.users
  for each row execute function engram_private.handle_new_user();

-- Users that existed before this migration (hosted projects) get their row too.
insert into public.user_profiles (user_id)
select u.id from auth.users u
on conflict (user_id) do nothing;

-- ---------------------------------------------------------------------------------------------
-- State machines
-- ---------------------------------------------------------------------------------------------
insert into engram_private.status_transitions (machine, from_status, to_status, why) values
  ('profile_import', 'none', 'processing', 'begin_import'),
  ('profile_import', 'processing', 'quick_ready', 'worker_mark_quick_ready'),
  ('profile_import', 'processing', 'complete', 'worker_finish_run without a quick-ready step (tiny export)'),
  ('profile_import', 'processing', 'failed', 'normalize/quick pass failed, or cancel_import'),
  ('profile_import', 'quick_ready', 'complete', 'worker_finish_run'),
  ('profile_import', 'quick_ready', 'processing', 'begin_import / rebuild_memory of a new start'),
  ('profile_import', 'complete', 'processing', 'begin_import / rebuild_memory'),
  ('profile_import', 'failed', 'processing', 'begin_import / rebuild_memory / claim_full_pass_retry'),
  ('profile_full_pass', 'pending', 'processing', 'first full-pass task leased or quick ready'),
  ('profile_full_pass', 'pending', 'complete', 'an export with nothing to process'),
  ('profile_full_pass', 'processing', 'complete', 'worker_finish_run'),
  ('profile_full_pass', 'processing', 'failed', 'a task failed for good, the sweep, or cancel_import'),
  ('profile_full_pass', 'failed', 'processing', 'claim_full_pass_retry'),
  ('profile_full_pass', 'failed', 'pending', 'begin_import / rebuild_memory'),
  ('profile_full_pass', 'complete', 'pending', 'begin_import / rebuild_memory');

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------
alter table public.user_profiles enable row level security;

-- Read-only for users: no insert/update/delete policy, and no such privilege either (a write
-- fails with 42501 instead of silently touching zero rows). anon has no business here at all.
revoke all on public.user_profiles from anon;
revoke insert, update, delete, truncate, references, trigger on public.user_profiles from authenticated;

create policy "Users can read their own profile"
  on public.user_profiles for select
  to authenticated
  using (user_id = (select auth.uid()));
