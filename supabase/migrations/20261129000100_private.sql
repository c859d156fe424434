-- Private schema and the helpers every other Engram migration uses.
--
-- `engram_private` holds internals (runs, tasks, rate limits, state machines). It is not in the
-- API's exposed schemas (config.toml `api.schemas`), its tables have RLS enabled with no policies
-- and no grants, and the API roles reach it only through `security definer` RPCs in `public`.
-- The single exception is `object_path_problem()`, which the storage policies call as
-- `authenticated` (so that role gets USAGE on the schema and EXECUTE on that one function).

-- ---------------------------------------------------------------------------------------------
-- Schema
-- ---------------------------------------------------------------------------------------------
create schema if not exists engram_private;
comment on schema engram_private is
  'Engram internals (import runs and tasks, rate limits, state machines). Not exposed by the API; reached only through security definer RPCs in public.';

revoke all on schema engram_private from public, anon, authenticated, service_role;
grant usage on schema engram_private to authenticated;

-- Functions are executable by PUBLIC by default; nothing in here should be.
alter default privileges in schema engram_private revoke execute on functions from public;
alter default privileges in schema engram_private revoke all on tables from public;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- State machines as data: a status column may only move along a row of this table (or stay).
-- Triggers on each table call assert_transition(); tests read the expectations from their own
-- copy, so a wrong row here fails them.
create table engram_private.status_transitions (
  machine text not null,
  from_status text not null,
  to_status text not null,
  why text not null,
  primary key (machine, from_status, to_status)
);
comment on table engram_private.status_transitions is
  'Allowed status changes per state machine (profile_import, profile_full_pass, run, task). Anything not listed (except staying put) is refused by the status triggers with PT409 invalid_transition.';
alter table engram_private.status_transitions enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- One error convention for every RPC: SQLSTATE `PTxyz` makes PostgREST answer HTTP xyz with
-- {code, message, details = reason code, hint}.
create or replace function engram_private.raise_error(
  p_status int,
  p_reason text,
  p_message text,
  p_hint jsonb default null
) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_hint is null then
    raise exception using errcode = 'PT' || p_status::text, message = p_message, detail = p_reason;
  end if;
  raise exception using errcode = 'PT' || p_status::text, message = p_message, detail = p_reason, hint = p_hint::text;
end
$$;
comment on function engram_private.raise_error(int, text, text, jsonb) is
  'Raises SQLSTATE PT<status> with detail = stable reason code, so PostgREST answers that HTTP status with {code, message, details, hint}.';

-- Keeps updated_at honest on every update, whoever writes.
create or replace function engram_private.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function engram_private.set_updated_at() is 'Trigger: sets updated_at = now() on update.';

-- Refuses a status change that is not a row of status_transitions. Security definer so a
-- trigger fired by any role (e.g. service_role writing a profile directly) can read the table.
create or replace function engram_private.assert_transition(
  p_machine text,
  p_from text,
  p_to text
) returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_from is not distinct from p_to then
    return;
  end if;
  if not exists (
    select 1 from engram_private.status_transitions t
    where t.machine = p_machine and t.from_status = p_from and t.to_status = p_to
  ) then
    perform engram_private.raise_error(409, 'invalid_transition',
      format('%s cannot change from %s to %s', p_machine, coalesce(p_from, 'null'), coalesce(p_to, 'null')));
  end if;
end
$$;
comment on function engram_private.assert_transition(text, text, text) is
  'Raises PT409 invalid_transition unless (machine, from, to) is listed in status_transitions or from = to.';

-- The one path rule, shared by begin_import() and the storage.objects policies, so what a user
-- may upload and what an import may point at can never disagree. Returns null when the path is
-- acceptable for p_uid, otherwise a reason code: invalid_path (malformed) or forbidden_path
-- (someone else''s folder).
-- Storage keys are literal (no path resolution), but local disks and careless consumers do
-- resolve them, so anything that could be read as a traversal or an encoding is refused:
-- `.`/`..` segments, a leading `/`, `//`, backslashes, `%` (no percent-encoding games: names are
-- stored decoded), control characters (NUL cannot even reach a text value), and any character
-- outside a small ASCII whitelist. 1024 characters is S3's key limit.
create or replace function engram_private.object_path_problem(p_uid uuid, p_path text) returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when p_path is null or p_path = '' or length(p_path) > 1024 then 'invalid_path'
    when p_path ~ '[[:cntrl:]]' then 'invalid_path'
    when position(E'\\' in p_path) > 0 or position('%' in p_path) > 0 then 'invalid_path'
    when left(p_path, 1) = '/' or position('//' in p_path) > 0 then 'invalid_path'
    when p_path ~ '(^|/)\.{1,2}(/|$)' then 'invalid_path'
    when p_path !~ '^[A-Za-z0-9._ ()+=,@!/-]+$' then 'invalid_path'
    when p_uid is null then 'forbidden_path'
    when split_part(p_path, '/', 1) <> p_uid::text then 'forbidden_path'
    when position('/' in p_path) = 0 or p_path = p_uid::text || '/' then 'invalid_path'
    else null
  end
$$;
comment on function engram_private.object_path_problem(uuid, text) is
  'Null when p_path is a normalized object path under <p_uid>/ (no ., .., leading /, //, backslash, %, control chars; ASCII whitelist; <= 1024 chars); else invalid_path or forbidden_path.';

revoke execute on all functions in schema engram_private from public, anon, authenticated, service_role;
grant execute on function engram_private.object_path_problem(uuid, text) to authenticated;
grant execute on function engram_private.raise_error(int, text, text, jsonb) to authenticated;
