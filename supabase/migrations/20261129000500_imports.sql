-- Imports: runs and tasks (a small job queue in the style of graphile-worker), the user RPCs that
-- start, inspect, retry, rebuild and cancel an import, and the worker RPCs (service_role only).
--
-- Model
-- - A run is one import of one stored export (kind import | rebuild). A retry is another attempt
--   of the same run (attempt + 1): its tasks and their idempotency keys belong to the export, so
--   a retry resumes exactly the unfinished ones instead of starting over. At most one active
--   (queued | running) run per user, enforced by a unique partial index, not by code.
-- - Tasks are the units of work: normalize (server-side parse of a raw upload, resumable through
--   its checkpoint), quick_pass (manifest -> counts and a first profile), shard (one per shard
--   file: chunks and facts), finalize (consolidated profile). A task becomes leasable only when
--   every task of an earlier phase in its run has settled (done or failed), so finalize never
--   overtakes a shard. Per-shard failures are "item" failures: counted, shown, they do not fail
--   the run; a failed normalize/quick_pass/finalize fails the run.
-- - Item failures vs. a failed full pass: a shard that fails *permanently* (bad data) is an item
--   failure: counted and shown, the run still completes (with failed_items > 0, never a clean
--   complete). A shard that ran out of attempts on a *retryable* error (rate limit, timeout,
--   redeploy) fails the full pass once the other shards have settled, and finalize waits: that
--   is what "Retry deep memory" resumes.
-- - Lanes: every run belongs to a lane ('default' unless the creating transaction set the custom
--   setting engram.lane, which API requests cannot do). Workers lease and the sweep works one lane
--   at a time, so a test suite or a canary worker can own its runs while the production worker
--   (kicked by the scheduled sweep of 'default') never touches them.
-- - All state is data: lease owner and expiry, heartbeat, attempts, retry_after (backoff computed
--   here), error and kind. A worker can die at any instant; the sweep requeues expired leases.
--
-- Lock order (deadlock freedom)
-- - The profile row is the per-user mutex. Every function that writes a run or a profile locks
--   the profile first, then the run (profile -> run). Worker calls lock their task first (that is
--   how they find the user), then profile -> run; a lease locks all its profiles in user_id order.
-- - User calls (claim, cancel, rebuild, begin) never wait for a task lock: they re-queue tasks with
--   SKIP LOCKED, leaving a task that a worker is touching at that instant to that worker's call
--   (which then sees the new run state). So no cycle can form between users and workers.
--
-- Numbers (and why)
-- - Lease 60 s by default (5..900): a hosted Edge Function gets 150-400 s wall clock and should
--   heartbeat every ~20 s, so a dead worker's task is back in the queue within ~1 minute.
-- - Backoff for a retryable failure: min(2^attempts * 5 s, 300 s) -> 10, 20, 40, 80, 160 s...;
--   capped at 5 minutes so a retry after an outage is not pushed out by hours.
-- - max_attempts 5 per task: with the backoff above that spans ~2.5 minutes of retries, enough
--   for a redeploy or a provider rate limit; a poison task then fails instead of looping.
-- - Stale after 120 s: a run with no sign of life (heartbeat, live lease or scheduled retry) for
--   120 s (two missed lease periods) is shown as stale and may be retried by its user.
-- - Full-pass attempts 5 (the first + 4 user retries): past that the failure is not transient.
-- - Progress reaches user_profiles (and so Realtime) at most once per second per run unless the
--   stage changes; profile heartbeats at most every 15 s.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table engram_private.import_runs (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  import_id uuid not null,
  kind text not null check (kind in ('import', 'full_pass', 'rebuild')),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'complete', 'failed', 'cancelled')),
  storage_path text not null,
  file_type text not null check (file_type in ('json', 'zip', 'shards')),
  lane text not null default 'default' check (length(lane) between 1 and 100),
  attempt int not null default 1 check (attempt >= 1),
  error text,
  error_kind text check (error_kind in ('retryable', 'permanent')),
  stage text,
  percent int not null default 0 check (percent between 0 and 100),
  -- Latest worker-reported counters, written through to the profile at a bounded rate.
  progress jsonb not null default '{}'::jsonb,
  progress_written_at timestamptz,
  stats jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  last_heartbeat_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table engram_private.import_runs is
  'One import (or rebuild) of one stored export; retries are further attempts of the same run. At most one queued/running run per user (unique partial index).';

create unique index import_runs_one_active_per_user
  on engram_private.import_runs (user_id) where status in ('queued', 'running');
-- begin_import is idempotent per import id.
create unique index import_runs_import_id
  on engram_private.import_runs (user_id, import_id) where kind = 'import';
create index import_runs_active_idx
  on engram_private.import_runs (lane, status) where status in ('queued', 'running');
alter table engram_private.import_runs enable row level security;

create table engram_private.import_tasks (
  id bigint generated always as identity primary key,
  run_id uuid not null references engram_private.import_runs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('normalize', 'quick_pass', 'shard', 'finalize')),
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  payload jsonb not null default '{}'::jsonb,
  checkpoint jsonb,
  state text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts between 1 and 25),
  lease_owner text,
  lease_expires_at timestamptz,
  heartbeat_at timestamptz,
  retry_after timestamptz not null default now(),
  error text,
  error_kind text check (error_kind in ('retryable', 'permanent')),
  result jsonb,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint import_tasks_idempotency unique (run_id, idempotency_key),
  -- A lease exists exactly while the task runs.
  constraint import_tasks_lease_iff_running
    check ((state = 'running') = (lease_owner is not null and lease_expires_at is not null))
);
comment on table engram_private.import_tasks is
  'Units of work of a run (normalize, quick_pass, shard, finalize): claimed with FOR UPDATE SKIP LOCKED, leased with expiry and heartbeat, retried with capped exponential backoff, idempotent per (run_id, idempotency_key).';

-- The lease query: ready tasks, oldest first.
create index import_tasks_ready_idx on engram_private.import_tasks (retry_after, id) where state = 'queued';
-- The sweep: expired leases.
create index import_tasks_leased_idx on engram_private.import_tasks (lease_expires_at) where state = 'running';
-- Per-run questions (anything left? what failed?).
create index import_tasks_run_state_idx on engram_private.import_tasks (run_id, state);
create index import_tasks_user_idx on engram_private.import_tasks (user_id);
alter table engram_private.import_tasks enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------
create trigger import_runs_set_updated_at before update on engram_private.import_runs
  for each row execute function engram_private.set_updated_at();
create trigger import_tasks_set_updated_at before update on engram_private.import_tasks
  for each row execute function engram_private.set_updated_at();

create or replace function engram_private.import_runs_check_transition() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform engram_private.assert_transition('run', old.status, new.status);
  return new;
end
$$;
comment on function engram_private.import_runs_check_transition() is 'Trigger: refuses run status changes not in status_transitions.';
create trigger import_runs_check_transition before update of status on engram_private.import_runs
  for each row execute function engram_private.import_runs_check_transition();

create or replace function engram_private.import_tasks_check_transition() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform engram_private.assert_transition('task', old.state, new.state);
  return new;
end
$$;
comment on function engram_private.import_tasks_check_transition() is 'Trigger: refuses task state changes not in status_transitions.';
create trigger import_tasks_check_transition before update of state on engram_private.import_tasks
  for each row execute function engram_private.import_tasks_check_transition();

insert into engram_private.status_transitions (machine, from_status, to_status, why) values
  ('run', 'queued', 'running', 'first task leased'),
  ('run', 'queued', 'complete', 'finish of a run with nothing left to do'),
  ('run', 'queued', 'failed', 'a task failed for good before the run was marked running'),
  ('run', 'queued', 'cancelled', 'cancel_import / rebuild_memory over a stale run'),
  ('run', 'running', 'complete', 'worker_finish_run'),
  ('run', 'running', 'failed', 'a non-item task failed for good'),
  ('run', 'running', 'cancelled', 'cancel_import / rebuild_memory over a stale run'),
  ('run', 'running', 'queued', 'claim_full_pass_retry of a stale run'),
  ('run', 'failed', 'queued', 'claim_full_pass_retry'),
  ('run', 'cancelled', 'queued', 'claim_full_pass_retry after a cancel'),
  ('task', 'queued', 'running', 'worker_lease_tasks'),
  ('task', 'running', 'done', 'worker_complete_task'),
  ('task', 'running', 'queued', 'retryable failure, expired lease, claim or cancel'),
  ('task', 'running', 'failed', 'permanent failure or attempts exhausted'),
  ('task', 'failed', 'queued', 'claim_full_pass_retry');

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
create or replace function engram_private.stale_after() returns interval
language sql immutable set search_path = '' as $$ select interval '120 seconds' $$;
comment on function engram_private.stale_after() is
  'A run without a sign of life for this long is stale: 120 s = two missed 60 s lease periods.';

create or replace function engram_private.max_full_pass_attempts() returns int
language sql immutable set search_path = '' as $$ select 5 $$;
comment on function engram_private.max_full_pass_attempts() is
  'Attempts a run may have (the first + 4 user retries).';

-- Phase order inside a run: a task waits until every task of an earlier phase is done or failed
-- permanently (a retryable failure blocks later phases until a retry resolves it).
create or replace function engram_private.task_phase(p_kind text) returns int
language sql immutable set search_path = '' as $$
  select case p_kind when 'normalize' then 0 when 'quick_pass' then 1 when 'shard' then 2 when 'finalize' then 3 end
$$;
comment on function engram_private.task_phase(text) is 'normalize 0 < quick_pass 1 < shard 2 < finalize 3.';

-- Last sign of life of a run: its heartbeat (or start/creation), a lease that is still valid,
-- or a retry it has scheduled.
create or replace function engram_private.run_alive_at(p_run engram_private.import_runs) returns timestamptz
language sql stable set search_path = '' as $$
  select greatest(
    coalesce(p_run.last_heartbeat_at, p_run.started_at, p_run.created_at),
    (select max(t.lease_expires_at) from engram_private.import_tasks t where t.run_id = p_run.id and t.state = 'running'),
    (select max(t.retry_after) from engram_private.import_tasks t where t.run_id = p_run.id and t.state = 'queued'))
$$;
comment on function engram_private.run_alive_at(engram_private.import_runs) is
  'Latest of: run heartbeat (else started/created), any live lease expiry, any scheduled retry.';

create or replace function engram_private.run_is_stale(p_run engram_private.import_runs, p_after interval default null)
returns boolean
language sql stable set search_path = '' as $$
  select p_run.id is not null
    and p_run.status in ('queued', 'running')
    and engram_private.run_alive_at(p_run) < now() - coalesce(p_after, engram_private.stale_after())
$$;
comment on function engram_private.run_is_stale(engram_private.import_runs, interval) is
  'True for an active run with no sign of life for stale_after() (or p_after).';

-- Why a retry is not allowed right now (null = allowed), rate limit aside. The one rule shared
-- by get_import_status() (what the UI offers) and claim_full_pass_retry() (what it does).
create or replace function engram_private.retry_verdict(
  p_profile public.user_profiles,
  p_run engram_private.import_runs
) returns text
language sql stable set search_path = '' as $$
  select case
    when p_profile.storage_path is null then 'no_export'
    when p_run.id is null then 'not_failed'
    when p_run.status in ('queued', 'running') and not engram_private.run_is_stale(p_run) then 'in_progress'
    when p_run.status = 'complete' then 'not_failed'
    when p_run.status in ('failed', 'cancelled') and p_run.error_kind = 'permanent' then 'permanent_failure'
    when p_profile.full_pass_attempts >= engram_private.max_full_pass_attempts() then 'too_many_attempts'
    else null
  end
$$;
comment on function engram_private.retry_verdict(public.user_profiles, engram_private.import_runs) is
  'Null when the caller may retry (failed/cancelled retryable run, or a stale active one); else no_export, not_failed, in_progress, permanent_failure or too_many_attempts.';

-- The per-user mutex (see "Lock order" above).
create or replace function engram_private.lock_profile(p_user_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform 1 from public.user_profiles p where p.user_id = p_user_id for no key update;
end
$$;
comment on function engram_private.lock_profile(uuid) is 'Locks the user''s profile row: taken before any run row.';

-- Locks the run's profile, then the run; returns the run (null fields when there is none).
create or replace function engram_private.lock_run(p_run_id uuid) returns engram_private.import_runs
language plpgsql
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
begin
  perform engram_private.lock_profile((select r.user_id from engram_private.import_runs r where r.id = p_run_id));
  select * into v_run from engram_private.import_runs r where r.id = p_run_id for no key update;
  return v_run;
end
$$;
comment on function engram_private.lock_run(uuid) is 'Locks profile then run (the one lock order) and returns the run.';

-- Creates a run with its first task and points the profile at it (begin_import, rebuild_memory).
create or replace function engram_private.start_run(
  p_user_id uuid,
  p_kind text,
  p_import_id uuid,
  p_storage_path text,
  p_file_type text
) returns engram_private.import_runs
language plpgsql
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
  v_first text := case when p_file_type = 'shards' then 'quick_pass' else 'normalize' end;
begin
  insert into engram_private.import_runs (user_id, import_id, kind, storage_path, file_type, lane)
  values (p_user_id, p_import_id, p_kind, p_storage_path, p_file_type,
    coalesce(nullif(current_setting('engram.lane', true), ''), 'default'))
  returning * into v_run;
  insert into engram_private.import_tasks (run_id, user_id, kind, idempotency_key, payload)
  values (v_run.id, p_user_id, v_first, v_first, jsonb_build_object(
    'storage_path', p_storage_path, 'file_type', p_file_type, 'import_id', p_import_id));
  update public.user_profiles p set
    storage_path = p_storage_path,
    file_type = p_file_type,
    import_id = p_import_id,
    import_status = 'processing',
    import_stage = 'queued',
    progress_percent = 0,
    import_error = null,
    processing_started_at = now(),
    full_pass_status = 'pending',
    full_pass_error = null,
    full_pass_error_kind = null,
    full_pass_started_at = null,
    full_pass_completed_at = null,
    full_pass_attempts = 1,
    failed_items = 0,
    total_items = 0,
    done_items = 0,
    current_run_id = v_run.id,
    last_heartbeat_at = null
  where p.user_id = p_user_id;
  return v_run;
end
$$;
comment on function engram_private.start_run(uuid, text, uuid, text, text) is
  'Inserts a queued run and its first task (quick_pass for shards, normalize otherwise) and resets the profile to processing/pending.';

-- Cancels an active run: queued/running tasks go back to queued without a lease (a later retry
-- resumes them; a worker still holding one finds its lease gone), statuses go to failed.
create or replace function engram_private.cancel_run(p_run_id uuid, p_reason text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform engram_private.lock_run(p_run_id);
  update engram_private.import_runs r
  set status = 'cancelled', finished_at = now(), error = p_reason, error_kind = 'retryable'
  where r.id = p_run_id and r.status in ('queued', 'running');
  update engram_private.import_tasks t
  set state = 'queued', lease_owner = null, lease_expires_at = null, retry_after = now()
  where t.id in (
    select x.id from engram_private.import_tasks x
    where x.run_id = p_run_id and x.state = 'running'
    for update skip locked);
  update public.user_profiles p set
    import_status = case when p.import_status = 'processing' then 'failed' else p.import_status end,
    import_error = case when p.import_status = 'processing' then p_reason else p.import_error end,
    full_pass_status = case when p.full_pass_status = 'processing' then 'failed' else p.full_pass_status end,
    full_pass_error = case when p.full_pass_status = 'processing' then p_reason else p.full_pass_error end,
    full_pass_error_kind = case when p.full_pass_status = 'processing' then 'retryable' else p.full_pass_error_kind end,
    import_stage = 'cancelled'
  where p.current_run_id = p_run_id;
end
$$;
comment on function engram_private.cancel_run(uuid, text) is
  'Marks an active run cancelled, releases its leases, and sets processing statuses to failed with p_reason.';

-- What begin_import and rebuild_memory both do before starting a run: a live run blocks them
-- (409); a stale one (no sign of life for 120 s) cannot progress anyway, so it is cancelled and
-- replaced. The row lock serialises two starts by the same user.
create or replace function engram_private.replace_stale_run(
  p_user_id uuid, p_busy_message text, p_cancel_reason text
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
begin
  select * into v_run from engram_private.import_runs r
  where r.user_id = p_user_id and r.status in ('queued', 'running') for no key update;
  if v_run.id is not null then
    if not engram_private.run_is_stale(v_run) then
      perform engram_private.raise_error(409, 'import_in_progress', p_busy_message,
        jsonb_build_object('run_id', v_run.id));
    end if;
    perform engram_private.cancel_run(v_run.id, p_cancel_reason);
  end if;
end
$$;
comment on function engram_private.replace_stale_run(uuid, text, text) is
  'Refuses (PT409 import_in_progress, p_busy_message) while p_user_id has a live run; cancels a stale one with p_cancel_reason.';

-- Spends one unit of p_action for p_user_id or refuses with 429 and the wait; a refusal raised
-- later in the same transaction rolls the unit back with it.
create or replace function engram_private.spend_rate_limit(
  p_user_id uuid, p_action text, p_message text
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_limit record;
begin
  select * into v_limit from engram_private.consume_rate_limit(p_user_id, p_action);
  if not v_limit.allowed then
    perform engram_private.raise_error(429, 'rate_limited', p_message,
      jsonb_build_object('retry_after_seconds', v_limit.retry_after_seconds));
  end if;
end
$$;
comment on function engram_private.spend_rate_limit(uuid, text, text) is
  'Consumes one unit of p_action for p_user_id, or raises PT429 rate_limited with retry_after_seconds in the hint.';

-- Fails a run (a non-item task failed for good, or the worker stopped responding).
create or replace function engram_private.fail_run(p_run_id uuid, p_error text, p_kind text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform engram_private.lock_run(p_run_id);
  update engram_private.import_runs r
  set status = 'failed', finished_at = now(), error = p_error, error_kind = p_kind
  where r.id = p_run_id and r.status in ('queued', 'running');
  if not found then
    return;
  end if;
  update public.user_profiles p set
    import_status = case when p.import_status = 'processing' then 'failed' else p.import_status end,
    import_error = case when p.import_status = 'processing' then p_error else p.import_error end,
    full_pass_status = case when p.full_pass_status = 'processing' then 'failed' else p.full_pass_status end,
    full_pass_error = case when p.full_pass_status = 'processing' then p_error else p.full_pass_error end,
    full_pass_error_kind = case when p.full_pass_status = 'processing' then p_kind else p.full_pass_error_kind end,
    import_stage = 'failed'
  where p.current_run_id = p_run_id;
end
$$;
comment on function engram_private.fail_run(uuid, text, text) is
  'Marks an active run failed with (error, kind) and moves processing statuses of its profile to failed.';

-- Writes progress: always to the run, to the profile (and so to Realtime) at most once per
-- second unless the stage changes or p_force. Counter fields are remembered on the run, so a
-- skipped write loses nothing: the next one carries the latest values.
create or replace function engram_private.write_progress(
  p_run_id uuid,
  p_stage text,
  p_percent int,
  p_fields jsonb,
  p_force boolean
) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
  v_stage text;
  v_percent int;
  v_progress jsonb;
  v_write boolean;
begin
  v_run := engram_private.lock_run(p_run_id);
  if v_run.id is null or v_run.status not in ('queued', 'running') then
    return false;
  end if;
  v_stage := coalesce(p_stage, v_run.stage);
  v_percent := least(greatest(coalesce(p_percent, v_run.percent), 0), 100);
  -- Only known non-negative integer counters pass.
  select v_run.progress || coalesce(jsonb_object_agg(f.key, greatest(0, (f.value #>> '{}')::numeric::int)), '{}'::jsonb)
  into v_progress
  from jsonb_each(coalesce(p_fields, '{}'::jsonb)) f
  where f.key in ('done_items', 'total_items', 'failed_items', 'conversation_count')
    and jsonb_typeof(f.value) = 'number';
  v_write := p_force
    or v_run.progress_written_at is null
    or v_run.progress_written_at <= now() - interval '1 second'
    or v_stage is distinct from v_run.stage;
  update engram_private.import_runs r set
    stage = v_stage,
    percent = v_percent,
    progress = v_progress,
    last_heartbeat_at = now(),
    progress_written_at = case when v_write then now() else r.progress_written_at end
  where r.id = p_run_id;
  if v_write then
    update public.user_profiles p set
      import_stage = v_stage,
      progress_percent = v_percent,
      done_items = coalesce((v_progress ->> 'done_items')::int, p.done_items),
      total_items = coalesce((v_progress ->> 'total_items')::int, p.total_items),
      failed_items = coalesce((v_progress ->> 'failed_items')::int, p.failed_items),
      conversation_count = coalesce((v_progress ->> 'conversation_count')::int, p.conversation_count),
      last_heartbeat_at = now()
    where p.current_run_id = p_run_id;
  end if;
  return v_write;
end
$$;
comment on function engram_private.write_progress(uuid, text, int, jsonb, boolean) is
  'Records progress on the run; writes it through to user_profiles at most once per second per run unless the stage changes or p_force. Returns whether the profile was written.';

-- After a task failed for good: a non-shard task fails the run at once; shards that ran out of
-- retries on retryable errors fail it once nothing that could still run is left before them.
create or replace function engram_private.settle_failures(p_run_id uuid) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
  v_phase int;
  v_error text;
begin
  perform engram_private.lock_run(p_run_id);
  if not exists (select 1 from engram_private.import_runs r where r.id = p_run_id and r.status in ('queued', 'running')) then
    return false;
  end if;
  select t.error into v_error from engram_private.import_tasks t
  where t.run_id = p_run_id and t.state = 'failed' and t.kind <> 'shard'
  order by t.finished_at desc nulls last, t.id desc limit 1;
  if found then
    perform engram_private.fail_run(p_run_id, v_error,
      coalesce((select t.error_kind from engram_private.import_tasks t
                where t.run_id = p_run_id and t.state = 'failed' and t.kind <> 'shard'
                order by t.finished_at desc nulls last, t.id desc limit 1), 'retryable'));
    return true;
  end if;
  select count(*), min(engram_private.task_phase(t.kind)) into v_count, v_phase
  from engram_private.import_tasks t
  where t.run_id = p_run_id and t.state = 'failed' and t.error_kind = 'retryable';
  if v_count = 0 then
    return false;
  end if;
  if exists (
    select 1 from engram_private.import_tasks t
    where t.run_id = p_run_id
      and (t.state = 'running' or (t.state = 'queued' and engram_private.task_phase(t.kind) <= v_phase))
  ) then
    return false;
  end if;
  select t.error into v_error from engram_private.import_tasks t
  where t.run_id = p_run_id and t.state = 'failed' and t.error_kind = 'retryable'
  order by t.finished_at desc nulls last, t.id desc limit 1;
  perform engram_private.fail_run(p_run_id,
    format('%s shard(s) could not be processed: %s', v_count, v_error), 'retryable');
  return true;
end
$$;
comment on function engram_private.settle_failures(uuid) is
  'Fails an active run when a non-shard task failed for good, or when shards failed with retryable errors and nothing before or beside them can still run. Returns whether it failed the run.';

-- Final statuses of a run whose tasks have all settled.
create or replace function engram_private.finish_run(p_run_id uuid) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
  v_bad engram_private.import_tasks;
  v_total int;
  v_done int;
  v_failed int;
  v_profile public.user_profiles;
begin
  v_run := engram_private.lock_run(p_run_id);
  if v_run.id is null then
    perform engram_private.raise_error(404, 'no_run', 'No such run');
  end if;
  if v_run.status in ('queued', 'running') then
    if exists (select 1 from engram_private.import_tasks t where t.run_id = p_run_id and t.state in ('queued', 'running')) then
      perform engram_private.raise_error(409, 'tasks_remaining', 'The run still has queued or running tasks');
    end if;
    select * into v_bad from engram_private.import_tasks t
    where t.run_id = p_run_id and t.state = 'failed'
      and (t.kind <> 'shard' or t.error_kind is distinct from 'permanent')
    order by t.finished_at desc nulls last, t.id desc limit 1;
    if v_bad.id is not null then
      perform engram_private.fail_run(p_run_id, v_bad.error, coalesce(v_bad.error_kind, 'retryable'));
    else
      select count(*) filter (where t.kind = 'shard'),
        count(*) filter (where t.kind = 'shard' and t.state = 'done'),
        count(*) filter (where t.kind = 'shard' and t.state = 'failed' and t.error_kind = 'permanent')
          + coalesce(sum(greatest(0, (t.result ->> 'failed_items')::numeric::int)) filter (where t.state = 'done'
              and jsonb_typeof(t.result -> 'failed_items') = 'number'), 0)
      into v_total, v_done, v_failed
      from engram_private.import_tasks t where t.run_id = p_run_id;
      update engram_private.import_runs r set status = 'complete', finished_at = now(), error = null, error_kind = null,
        stage = 'complete', percent = 100
      where r.id = p_run_id;
      update public.user_profiles p set
        import_status = 'complete',
        import_error = null,
        import_stage = case when v_failed > 0 then 'complete_with_errors' else 'complete' end,
        progress_percent = 100,
        full_pass_status = 'complete',
        full_pass_error = case when v_failed > 0
          then format('%s item(s) could not be processed', v_failed) else null end,
        full_pass_error_kind = null,
        full_pass_started_at = coalesce(p.full_pass_started_at, v_run.started_at, now()),
        full_pass_completed_at = now(),
        total_items = v_total,
        done_items = v_done,
        failed_items = v_failed,
        last_heartbeat_at = now()
      where p.current_run_id = p_run_id;
      update public.memory_profiles m set partial = false where m.user_id = v_run.user_id and m.partial;
    end if;
  end if;
  select * into v_run from engram_private.import_runs r where r.id = p_run_id;
  select * into v_profile from public.user_profiles p where p.user_id = v_run.user_id;
  return jsonb_build_object(
    'run_id', v_run.id,
    'status', v_run.status,
    'import_status', v_profile.import_status,
    'full_pass_status', v_profile.full_pass_status,
    'failed_items', v_profile.failed_items,
    'error', v_run.error);
end
$$;
comment on function engram_private.finish_run(uuid) is
  'Settles a run whose tasks are all done/failed: a failed non-shard task fails it; otherwise complete, with failed_items = failed shards + items the shard results report (never a clean complete when items failed). Idempotent for finished runs.';

-- ---------------------------------------------------------------------------------------------
-- User RPCs
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_import_status() returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_profile public.user_profiles;
  v_run engram_private.import_runs;
  v_reason text;
  v_wait int;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  select * into v_profile from public.user_profiles p where p.user_id = v_uid;
  if not found then
    perform engram_private.raise_error(404, 'no_profile', 'No profile for this user');
  end if;
  select * into v_run from engram_private.import_runs r where r.id = v_profile.current_run_id;
  v_reason := engram_private.retry_verdict(v_profile, v_run);
  if v_reason is null then
    v_wait := engram_private.peek_rate_limit(v_uid, 'retry');
    if v_wait > 0 then
      v_reason := 'rate_limited';
    end if;
  end if;
  return jsonb_build_object(
    'import_status', v_profile.import_status,
    'import_stage', v_profile.import_stage,
    'progress_percent', v_profile.progress_percent,
    'import_error', v_profile.import_error,
    'import_id', v_profile.import_id,
    'storage_path', v_profile.storage_path,
    'file_type', v_profile.file_type,
    'full_pass_status', v_profile.full_pass_status,
    'full_pass_error', v_profile.full_pass_error,
    'full_pass_error_kind', v_profile.full_pass_error_kind,
    'full_pass_started_at', v_profile.full_pass_started_at,
    'full_pass_completed_at', v_profile.full_pass_completed_at,
    'full_pass_attempts', v_profile.full_pass_attempts,
    'max_attempts', engram_private.max_full_pass_attempts(),
    'failed_items', v_profile.failed_items,
    'total_items', v_profile.total_items,
    'done_items', v_profile.done_items,
    'conversation_count', v_profile.conversation_count,
    'chunk_count', (select count(*) from public.conversation_chunks c where c.user_id = v_uid),
    'fact_count', (select count(*) from public.memory_facts f where f.user_id = v_uid),
    'run_id', v_run.id,
    'run_status', v_run.status,
    'stale', coalesce(engram_private.run_is_stale(v_run), false),
    'last_heartbeat_at', v_profile.last_heartbeat_at,
    'can_retry', v_reason is null,
    'retry_blocked_reason', v_reason,
    'retry_after_seconds', case when v_reason = 'rate_limited' then v_wait else null end,
    'updated_at', v_profile.updated_at);
end
$$;
comment on function public.get_import_status() is
  'The caller''s whole import picture: statuses, stage, progress, errors, counts, attempts, run id, stale, and whether a retry is allowed (can_retry) or why not (retry_blocked_reason: no_export | not_failed | in_progress | permanent_failure | too_many_attempts | rate_limited, with retry_after_seconds).';

create or replace function public.begin_import(
  p_storage_path text,
  p_file_type text,
  p_import_id uuid default null
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_problem text;
  v_import_id uuid := p_import_id;
  v_folder text;
  v_profile public.user_profiles;
  v_run engram_private.import_runs;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  if p_file_type is null or p_file_type not in ('json', 'zip', 'shards') then
    perform engram_private.raise_error(400, 'invalid_file_type',
      format('file type must be json, zip or shards, not %s', coalesce(p_file_type, 'null')));
  end if;
  v_problem := engram_private.object_path_problem(v_uid, p_storage_path);
  if v_problem = 'forbidden_path' then
    perform engram_private.raise_error(403, 'forbidden_path', 'The storage path must be inside your own folder <user id>/');
  elsif v_problem is not null then
    perform engram_private.raise_error(400, 'invalid_path',
      'The storage path must be a normalized path <user id>/… (no .., leading /, //, backslash, %, control characters)');
  end if;
  if p_file_type = 'shards' then
    if p_storage_path !~ '^[^/]+/[^/]+/$' then
      perform engram_private.raise_error(400, 'invalid_path', 'A shard import points at its folder <user id>/<import id>/');
    end if;
    v_folder := split_part(p_storage_path, '/', 2);
    if v_import_id is null and v_folder ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      v_import_id := v_folder::uuid;
    end if;
    if v_import_id is null or v_folder <> v_import_id::text then
      perform engram_private.raise_error(400, 'invalid_path', 'The shard folder must be named after the import id');
    end if;
  elsif right(p_storage_path, 1) = '/' then
    perform engram_private.raise_error(400, 'invalid_path', 'A json or zip import points at a file, not a folder');
  end if;
  v_import_id := coalesce(v_import_id, extensions.gen_random_uuid());

  -- One begin_import per user at a time: everything below runs under the profile row lock.
  select * into v_profile from public.user_profiles p where p.user_id = v_uid for no key update;
  if not found then
    perform engram_private.raise_error(404, 'no_profile', 'No profile for this user');
  end if;

  -- Same import id again: hand back the same run (double submit, client retry).
  select * into v_run from engram_private.import_runs r
  where r.user_id = v_uid and r.import_id = v_import_id and r.kind = 'import';
  if found then
    if v_run.storage_path <> p_storage_path or v_run.file_type <> p_file_type then
      perform engram_private.raise_error(409, 'import_id_conflict', 'This import id was already used for another export');
    end if;
    return jsonb_build_object('import_id', v_import_id, 'run_id', v_run.id, 'created', false);
  end if;

  perform engram_private.replace_stale_run(v_uid, 'An import is already running; cancel it or wait',
    'Replaced by a new import');
  perform engram_private.spend_rate_limit(v_uid, 'import', 'Too many imports; try again later');

  v_run := engram_private.start_run(v_uid, 'import', v_import_id, p_storage_path, p_file_type);
  return jsonb_build_object('import_id', v_import_id, 'run_id', v_run.id, 'created', true);
end
$$;
comment on function public.begin_import(text, text, uuid) is
  'Starts an import of an export the caller stored under <uid>/ (json/zip file, or shards folder <uid>/<import_id>/): validates the path, records storage_path/file_type, creates the run and its first task. Idempotent per import id ({import_id, run_id, created}); PT409 import_in_progress while a live run is active (a stale one is cancelled and replaced); applies the import rate limit (PT429) to new imports only.';

create or replace function public.claim_full_pass_retry() returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_profile public.user_profiles;
  v_run engram_private.import_runs;
  v_reason text;
  v_requeued int;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  -- Row locks in a fixed order (profile, run, tasks) make the whole claim one atomic decision:
  -- a second caller waits here and then sees the first caller's result.
  select * into v_profile from public.user_profiles p where p.user_id = v_uid for no key update;
  if not found then
    perform engram_private.raise_error(404, 'no_profile', 'No profile for this user');
  end if;
  select * into v_run from engram_private.import_runs r where r.id = v_profile.current_run_id for no key update;

  v_reason := engram_private.retry_verdict(v_profile, v_run);
  if v_reason = 'no_export' then
    perform engram_private.raise_error(404, 'no_export', 'There is no stored export to retry from; import again');
  elsif v_reason = 'in_progress' then
    perform engram_private.raise_error(409, 'already_processing', 'The import is still running',
      jsonb_build_object('full_pass_status', v_profile.full_pass_status));
  elsif v_reason = 'not_failed' and v_profile.full_pass_status = 'complete' then
    perform engram_private.raise_error(409, 'already_complete', 'Deep memory is already complete',
      jsonb_build_object('full_pass_status', v_profile.full_pass_status));
  elsif v_reason = 'not_failed' then
    perform engram_private.raise_error(409, 'not_failed', 'There is no failed import to retry',
      jsonb_build_object('full_pass_status', v_profile.full_pass_status));
  elsif v_reason = 'permanent_failure' then
    perform engram_private.raise_error(422, 'permanent_failure',
      'This import failed in a way a retry cannot fix; rebuild or import again',
      jsonb_build_object('error', v_run.error));
  elsif v_reason = 'too_many_attempts' then
    perform engram_private.raise_error(409, 'too_many_attempts',
      format('This import was already tried %s times', v_profile.full_pass_attempts),
      jsonb_build_object('max_attempts', engram_private.max_full_pass_attempts()));
  end if;

  -- Only a claim that would succeed spends from the budget (a refusal rolls back with it).
  perform engram_private.spend_rate_limit(v_uid, 'retry', 'Too many retries; try again later');

  update engram_private.import_runs r set
    status = 'queued', attempt = r.attempt + 1, error = null, error_kind = null,
    finished_at = null, last_heartbeat_at = now()
  where r.id = v_run.id
  returning * into v_run;

  -- Resume, do not restart: only unfinished tasks go back, with a fresh attempt budget.
  -- A task a worker is touching at this very instant (row locked) is left to that worker's call.
  with requeued as (
    update engram_private.import_tasks t set
      state = 'queued', attempts = 0, lease_owner = null, lease_expires_at = null,
      retry_after = now(), error = null, error_kind = null, finished_at = null
    where t.id in (
      select x.id from engram_private.import_tasks x
      where x.run_id = v_run.id and x.state <> 'done'
      for update skip locked)
    returning 1
  )
  select count(*) into v_requeued from requeued;

  update public.user_profiles p set
    import_status = case when p.import_status = 'failed' then 'processing' else p.import_status end,
    import_error = null,
    import_stage = 'retry_queued',
    full_pass_status = case when p.full_pass_status in ('failed', 'processing') then 'processing' else p.full_pass_status end,
    full_pass_error = null,
    full_pass_error_kind = null,
    full_pass_completed_at = null,
    full_pass_attempts = v_run.attempt,
    failed_items = 0,
    last_heartbeat_at = now()
  where p.user_id = v_uid;

  return jsonb_build_object(
    'run_id', v_run.id,
    'import_id', v_run.import_id,
    'storage_path', v_run.storage_path,
    'file_type', v_run.file_type,
    'attempt', v_run.attempt,
    'requeued_tasks', v_requeued);
end
$$;
comment on function public.claim_full_pass_retry() is
  'Atomically claims a retry of the caller''s failed (or stale) import from the stored export: bumps the attempt, statuses back to processing, errors cleared, only unfinished tasks re-queued. Returns {run_id, import_id, storage_path, file_type, attempt, requeued_tasks}. Errors: no_export 404, already_processing/already_complete/not_failed/too_many_attempts 409, permanent_failure 422, rate_limited 429.';

create or replace function public.rebuild_memory() returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_profile public.user_profiles;
  v_run engram_private.import_runs;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  select * into v_profile from public.user_profiles p where p.user_id = v_uid for no key update;
  if not found then
    perform engram_private.raise_error(404, 'no_profile', 'No profile for this user');
  end if;
  if v_profile.storage_path is null then
    perform engram_private.raise_error(404, 'no_export', 'There is no stored export to rebuild from; import again');
  end if;
  perform engram_private.replace_stale_run(v_uid, 'An import is running; cancel it first', 'Replaced by a rebuild');
  perform engram_private.spend_rate_limit(v_uid, 'import', 'Too many imports; try again later');
  delete from public.conversation_chunks c where c.user_id = v_uid;
  delete from public.memory_facts f where f.user_id = v_uid;
  delete from public.memory_profiles m where m.user_id = v_uid;
  v_run := engram_private.start_run(v_uid, 'rebuild', v_profile.import_id, v_profile.storage_path, v_profile.file_type);
  return jsonb_build_object('run_id', v_run.id, 'import_id', v_run.import_id);
end
$$;
comment on function public.rebuild_memory() is
  'Explicit start-over from the stored export: deletes the caller''s chunks, facts and memory profile and starts a new run (kind rebuild). {run_id, import_id}. PT404 no_export, PT409 import_in_progress (a stale run is cancelled instead), PT429 rate_limited (import budget).';

create or replace function public.cancel_import() returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_profile public.user_profiles;
  v_run engram_private.import_runs;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  select * into v_profile from public.user_profiles p where p.user_id = v_uid for no key update;
  if not found then
    perform engram_private.raise_error(404, 'no_profile', 'No profile for this user');
  end if;
  select * into v_run from engram_private.import_runs r
  where r.id = v_profile.current_run_id for no key update;
  if v_run.id is null or v_run.status not in ('queued', 'running') then
    return jsonb_build_object('run_id', v_run.id, 'cancelled', false);
  end if;
  perform engram_private.cancel_run(v_run.id, 'Cancelled');
  return jsonb_build_object('run_id', v_run.id, 'cancelled', true);
end
$$;
comment on function public.cancel_import() is
  'Cancels the caller''s active run (processing statuses become failed with "Cancelled"; a later claim_full_pass_retry resumes it). {run_id, cancelled}.';

-- ---------------------------------------------------------------------------------------------
-- Worker RPCs (service_role only)
-- ---------------------------------------------------------------------------------------------
create or replace function public.worker_lease_tasks(
  p_worker text,
  p_limit int default 1,
  p_lease_seconds int default 60,
  p_lane text default 'default'
) returns setof jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  if p_worker is null or length(p_worker) not between 1 and 200 then
    perform engram_private.raise_error(400, 'invalid_argument', 'p_worker must be 1..200 characters');
  end if;
  if p_limit is null or p_limit not between 1 and 100 or p_lease_seconds is null or p_lease_seconds not between 5 and 900 then
    perform engram_private.raise_error(400, 'invalid_argument', 'p_limit must be 1..100 and p_lease_seconds 5..900');
  end if;
  with candidates as (
    select t.id
    from engram_private.import_tasks t
    join engram_private.import_runs r
      on r.id = t.run_id and r.status in ('queued', 'running') and r.lane = p_lane
    where t.state = 'queued'
      and t.retry_after <= now()
      and not exists (
        select 1 from engram_private.import_tasks b
        where b.run_id = t.run_id
          and (b.state in ('queued', 'running') or (b.state = 'failed' and b.error_kind = 'retryable'))
          and engram_private.task_phase(b.kind) < engram_private.task_phase(t.kind))
    -- Earlier phases first: a new user's quick pass (seconds to "quick_ready") must not queue
    -- behind another user's thousand shards. Then oldest first.
    order by engram_private.task_phase(t.kind), t.retry_after, t.id
    limit p_limit
    for update of t skip locked
  ), leased as (
    update engram_private.import_tasks t set
      state = 'running',
      lease_owner = p_worker,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds),
      heartbeat_at = now(),
      attempts = t.attempts + 1,
      started_at = coalesce(t.started_at, now())
    from candidates c
    where t.id = c.id
    returning t.id
  )
  select coalesce(array_agg(l.id), '{}') into v_ids from leased l;
  if cardinality(v_ids) = 0 then
    return;
  end if;

  -- Profiles first, in user_id order, then their runs (see "Lock order").
  perform 1 from public.user_profiles p
  where p.user_id in (select t.user_id from engram_private.import_tasks t where t.id = any (v_ids))
  order by p.user_id
  for no key update;
  update engram_private.import_runs r set
    status = 'running', started_at = coalesce(r.started_at, now()), last_heartbeat_at = now()
  where r.id in (select t.run_id from engram_private.import_tasks t where t.id = any (v_ids));
  update public.user_profiles p set
    full_pass_status = 'processing',
    full_pass_started_at = coalesce(p.full_pass_started_at, now())
  where p.full_pass_status = 'pending'
    and p.current_run_id in (
      select t.run_id from engram_private.import_tasks t
      where t.id = any (v_ids) and t.kind in ('shard', 'finalize'));

  return query
  select jsonb_build_object(
    'id', t.id,
    'run_id', t.run_id,
    'user_id', t.user_id,
    'kind', t.kind,
    'idempotency_key', t.idempotency_key,
    'payload', t.payload,
    'checkpoint', t.checkpoint,
    'attempts', t.attempts,
    'max_attempts', t.max_attempts,
    'lease_expires_at', t.lease_expires_at,
    'storage_path', r.storage_path,
    'file_type', r.file_type,
    'import_id', r.import_id)
  from engram_private.import_tasks t
  join engram_private.import_runs r on r.id = t.run_id
  where t.id = any (v_ids)
  order by engram_private.task_phase(t.kind), t.retry_after, t.id;
end
$$;
comment on function public.worker_lease_tasks(text, int, int, text) is
  'Worker only. Leases up to p_limit ready tasks of lane p_lane (queued, retry_after passed, run active, earlier phases settled) with FOR UPDATE SKIP LOCKED; attempts + 1; marks the run running and the full pass processing. Returns task objects {id, run_id, user_id, kind, idempotency_key, payload, checkpoint, attempts, max_attempts, lease_expires_at, storage_path, file_type, import_id}.';

create or replace function public.worker_heartbeat(
  p_task_id bigint,
  p_worker text,
  p_lease_seconds int default 60,
  p_checkpoint jsonb default null
) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_run_id uuid;
begin
  if p_lease_seconds is null or p_lease_seconds not between 5 and 900 then
    perform engram_private.raise_error(400, 'invalid_argument', 'p_lease_seconds must be 5..900');
  end if;
  update engram_private.import_tasks t set
    lease_expires_at = now() + make_interval(secs => p_lease_seconds),
    heartbeat_at = now(),
    checkpoint = coalesce(p_checkpoint, t.checkpoint)
  from engram_private.import_runs r
  where t.id = p_task_id and t.state = 'running' and t.lease_owner = p_worker
    and r.id = t.run_id and r.status in ('queued', 'running')
  returning t.run_id into v_run_id;
  if v_run_id is null then
    return false;
  end if;
  perform engram_private.lock_run(v_run_id);
  update engram_private.import_runs r set last_heartbeat_at = now() where r.id = v_run_id;
  update public.user_profiles p set last_heartbeat_at = now()
  where p.current_run_id = v_run_id
    and (p.last_heartbeat_at is null or p.last_heartbeat_at < now() - interval '15 seconds');
  return true;
end
$$;
comment on function public.worker_heartbeat(bigint, text, int, jsonb) is
  'Worker only. Extends the lease of a task the worker still holds (and saves p_checkpoint); false = lease lost (requeued, cancelled or taken over): stop that task.';

create or replace function public.worker_complete_task(
  p_task_id bigint,
  p_worker text,
  p_result jsonb default null
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_task engram_private.import_tasks;
  v_done boolean;
  v_counts record;
begin
  update engram_private.import_tasks t set
    state = 'done', result = p_result, lease_owner = null, lease_expires_at = null,
    finished_at = now(), error = null, error_kind = null
  where t.id = p_task_id and t.state = 'running' and t.lease_owner = p_worker
  returning * into v_task;
  if v_task.id is null then
    perform engram_private.raise_error(409, 'lease_lost', 'This worker no longer holds the task''s lease');
  end if;
  if engram_private.settle_failures(v_task.run_id) then
    return jsonb_build_object('run_done', false, 'run_id', v_task.run_id, 'run_failed', true);
  end if;
  v_done := not exists (
    select 1 from engram_private.import_tasks t where t.run_id = v_task.run_id and t.state in ('queued', 'running'));
  if v_task.kind = 'shard' then
    select count(*) filter (where t.state = 'done') as done, count(*) as total
    into v_counts
    from engram_private.import_tasks t where t.run_id = v_task.run_id and t.kind = 'shard';
    perform engram_private.write_progress(v_task.run_id, null,
      (v_counts.done * 100 / greatest(v_counts.total, 1))::int,
      jsonb_build_object('done_items', v_counts.done, 'total_items', v_counts.total), v_done);
  else
    perform engram_private.lock_run(v_task.run_id);
    update engram_private.import_runs r set last_heartbeat_at = now()
    where r.id = v_task.run_id and r.status in ('queued', 'running');
  end if;
  return jsonb_build_object('run_done', v_done, 'run_id', v_task.run_id);
end
$$;
comment on function public.worker_complete_task(bigint, text, jsonb) is
  'Worker only. Marks a task the worker holds done with p_result ({failed_items} counts item failures inside a shard). {run_done, run_id}; PT409 lease_lost when the lease is gone.';

create or replace function public.worker_fail_task(
  p_task_id bigint,
  p_worker text,
  p_error text,
  p_kind text
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_task engram_private.import_tasks;
  v_retry boolean;
  v_run_failed boolean := false;
begin
  if p_kind is null or p_kind not in ('retryable', 'permanent') then
    perform engram_private.raise_error(400, 'invalid_argument', 'p_kind must be retryable or permanent');
  end if;
  select * into v_task from engram_private.import_tasks t
  where t.id = p_task_id and t.state = 'running' and t.lease_owner = p_worker
  for update;
  if v_task.id is null then
    perform engram_private.raise_error(409, 'lease_lost', 'This worker no longer holds the task''s lease');
  end if;
  v_retry := p_kind = 'retryable' and v_task.attempts < v_task.max_attempts;
  update engram_private.import_tasks t set
    state = case when v_retry then 'queued' else 'failed' end,
    lease_owner = null,
    lease_expires_at = null,
    error = left(p_error, 2000),
    error_kind = p_kind,
    -- Backoff: 2^attempts * 5 s, capped at 300 s (see the header for the numbers).
    retry_after = case when v_retry
      then now() + make_interval(secs => least(power(2, t.attempts) * 5, 300))
      else t.retry_after end,
    finished_at = case when v_retry then null else now() end
  where t.id = p_task_id
  returning * into v_task;
  if not v_retry then
    v_run_failed := engram_private.settle_failures(v_task.run_id);
  end if;
  if not v_run_failed then
    perform engram_private.lock_run(v_task.run_id);
    update engram_private.import_runs r set last_heartbeat_at = now()
    where r.id = v_task.run_id and r.status in ('queued', 'running');
  end if;
  return jsonb_build_object(
    'will_retry', v_retry,
    'retry_after', case when v_retry then v_task.retry_after else null end,
    'run_failed', v_run_failed);
end
$$;
comment on function public.worker_fail_task(bigint, text, text, text) is
  'Worker only. Records a failure of a task the worker holds: retryable and attempts left -> queued with retry_after = now + min(2^attempts*5 s, 300 s); otherwise failed (a failed shard is an item failure; any other kind fails the run). {will_retry, retry_after, run_failed}.';

create or replace function public.worker_add_tasks(p_run_id uuid, p_tasks jsonb) returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_run engram_private.import_runs;
  v_count int;
begin
  if jsonb_typeof(p_tasks) is distinct from 'array' then
    perform engram_private.raise_error(400, 'invalid_argument', 'p_tasks must be a JSON array');
  end if;
  select * into v_run from engram_private.import_runs r where r.id = p_run_id;
  if v_run.id is null then
    perform engram_private.raise_error(404, 'no_run', 'No such run');
  end if;
  if v_run.status not in ('queued', 'running') then
    perform engram_private.raise_error(409, 'run_not_active', format('The run is %s', v_run.status));
  end if;
  perform engram_private.lock_profile(v_run.user_id);
  with added as (
    insert into engram_private.import_tasks (run_id, user_id, kind, idempotency_key, payload, max_attempts)
    select p_run_id, v_run.user_id, x.kind, x.idempotency_key, coalesce(x.payload, '{}'::jsonb), coalesce(x.max_attempts, 5)
    from jsonb_to_recordset(p_tasks) as x(kind text, idempotency_key text, payload jsonb, max_attempts int)
    on conflict (run_id, idempotency_key) do nothing
    returning 1
  )
  select count(*) into v_count from added;
  if v_count > 0 then
    update public.user_profiles p set
      total_items = (select count(*) from engram_private.import_tasks t where t.run_id = p_run_id and t.kind = 'shard')
    where p.current_run_id = p_run_id;
  end if;
  return v_count;
end
$$;
comment on function public.worker_add_tasks(uuid, jsonb) is
  'Worker only. Adds [{kind, idempotency_key, payload, max_attempts?}] to an active run; existing keys are skipped (on conflict do nothing). Returns how many were added.';

create or replace function public.worker_report_progress(
  p_run_id uuid,
  p_stage text,
  p_percent int,
  p_fields jsonb default '{}'::jsonb
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform engram_private.write_progress(p_run_id, p_stage, p_percent, p_fields, false);
end
$$;
comment on function public.worker_report_progress(uuid, text, int, jsonb) is
  'Worker only. Records stage/percent and counters (done_items, total_items, failed_items, conversation_count) on the run; user_profiles gets them at most once per second per run unless the stage changes. Ignored for inactive runs.';

create or replace function public.worker_mark_quick_ready(p_run_id uuid, p_stats jsonb) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform engram_private.lock_run(p_run_id);
  update engram_private.import_runs r set stats = r.stats || coalesce(p_stats, '{}'::jsonb), last_heartbeat_at = now()
  where r.id = p_run_id and r.status in ('queued', 'running');
  if not found then
    perform engram_private.raise_error(409, 'run_not_active', 'The run is not active');
  end if;
  update public.user_profiles p set
    import_status = case when p.import_status = 'processing' then 'quick_ready' else p.import_status end,
    import_stage = 'quick_ready',
    conversation_count = coalesce((p_stats ->> 'conversation_count')::int, p.conversation_count),
    total_items = coalesce((p_stats ->> 'total_items')::int, p.total_items),
    full_pass_status = case when p.full_pass_status = 'pending' then 'processing' else p.full_pass_status end,
    full_pass_started_at = coalesce(p.full_pass_started_at, now()),
    last_heartbeat_at = now()
  where p.current_run_id = p_run_id;
end
$$;
comment on function public.worker_mark_quick_ready(uuid, jsonb) is
  'Worker only. The quick pass is done: import_status quick_ready, conversation_count/total_items from p_stats, full pass processing.';

create or replace function public.worker_finish_run(p_run_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  return engram_private.finish_run(p_run_id);
end
$$;
comment on function public.worker_finish_run(uuid) is
  'Worker only. Sets the final statuses of a run whose tasks have settled: {run_id, status, import_status, full_pass_status, failed_items, error}. Failed items give full_pass_status complete with failed_items > 0; a failed non-shard task gives failed. PT409 tasks_remaining if tasks are still queued/running.';

create or replace function public.worker_sweep(
  p_stale_seconds int default 120,
  p_lane text default 'default',
  p_give_up_seconds int default 600
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_task engram_private.import_tasks;
  v_run engram_private.import_runs;
  v_requeued int := 0;
  v_failed_tasks int := 0;
  v_failed_runs int := 0;
  v_finished int := 0;
  v_abandoned int := 0;
  v_runnable int;
  v_stale int;
begin
  -- 1. Expired leases: back to the queue (right away: a dead worker is usually a deploy or a
  --    limit, not the task's fault), or failed when the attempts are used up.
  for v_task in
    select t.* from engram_private.import_tasks t
    join engram_private.import_runs r on r.id = t.run_id and r.lane = p_lane
    where t.state = 'running' and t.lease_expires_at < now()
    order by t.user_id, t.id
    for update of t skip locked
  loop
    if v_task.attempts < v_task.max_attempts then
      update engram_private.import_tasks t set
        state = 'queued', lease_owner = null, lease_expires_at = null, retry_after = now(),
        error = 'The lease expired: the worker stopped responding', error_kind = 'retryable'
      where t.id = v_task.id;
      v_requeued := v_requeued + 1;
    else
      update engram_private.import_tasks t set
        state = 'failed', lease_owner = null, lease_expires_at = null, finished_at = now(),
        error = format('The worker stopped responding (lease expired %s times)', v_task.attempts), error_kind = 'retryable'
      where t.id = v_task.id;
      v_failed_tasks := v_failed_tasks + 1;
      if engram_private.settle_failures(v_task.run_id) then
        v_failed_runs := v_failed_runs + 1;
      end if;
    end if;
  end loop;

  -- 2. Active runs with nothing left to do (the worker died between its last task and
  --    worker_finish_run): settle them.
  -- (No row locks here: finish_run/fail_run take profile -> run themselves and re-check.)
  for v_run in
    select * from engram_private.import_runs r
    where r.status in ('queued', 'running') and r.lane = p_lane
      and not exists (select 1 from engram_private.import_tasks t where t.run_id = r.id and t.state in ('queued', 'running'))
    order by r.user_id
  loop
    begin
      perform engram_private.finish_run(v_run.id);
      v_finished := v_finished + 1;
    exception when sqlstate 'PT409' then
      null; -- a task appeared meanwhile: the run is not dangling after all
    end;
  end loop;

  -- 3. Runs silent for p_give_up_seconds (default 600 s = 5 stale periods, two full backoff caps)
  --    although the scheduler kept kicking workers: nothing is coming back for them. They fail
  --    with a clear, retryable reason instead of sitting in processing forever.
  for v_run in
    select * from engram_private.import_runs r
    where r.status in ('queued', 'running') and r.lane = p_lane
      and engram_private.run_is_stale(r, make_interval(secs => coalesce(p_give_up_seconds, 600)))
    order by r.user_id
  loop
    v_run := engram_private.lock_run(v_run.id);
    if engram_private.run_is_stale(v_run, make_interval(secs => coalesce(p_give_up_seconds, 600))) then
      perform engram_private.fail_run(v_run.id,
        'The worker stopped responding; retry to resume from where it stopped', 'retryable');
      v_abandoned := v_abandoned + 1;
    end if;
  end loop;

  -- 4. What the scheduler should know: runs with ready work (kick a worker) and stale runs.
  select count(*) into v_runnable from engram_private.import_runs r
  where r.status in ('queued', 'running') and r.lane = p_lane
    and exists (select 1 from engram_private.import_tasks t
                where t.run_id = r.id and t.state = 'queued' and t.retry_after <= now());
  select count(*) into v_stale from engram_private.import_runs r
  where r.lane = p_lane and r.status in ('queued', 'running')
    and engram_private.run_is_stale(r, make_interval(secs => coalesce(p_stale_seconds, 120)));

  -- 5. Rate-limit rows that no longer limit anything.
  delete from engram_private.rate_limits l where l.tat < now() - interval '1 day';

  return jsonb_build_object(
    'requeued', v_requeued,
    'failed_tasks', v_failed_tasks,
    'failed_runs', v_failed_runs,
    'finished_runs', v_finished,
    'abandoned_runs', v_abandoned,
    'runnable_runs', v_runnable,
    'stale_runs', v_stale);
end
$$;
comment on function public.worker_sweep(int, text, int) is
  'Worker/scheduler only, one lane (default ''default''). Requeues expired leases (or fails tasks whose attempts are used up; a non-shard one fails its run with "The worker stopped responding"), settles active runs with no tasks left, fails runs silent for p_give_up_seconds (600) as retryable, and reports {requeued, failed_tasks, failed_runs, finished_runs, abandoned_runs, runnable_runs, stale_runs}.';

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
revoke execute on function public.get_import_status() from public, anon, authenticated, service_role;
revoke execute on function public.begin_import(text, text, uuid) from public, anon, authenticated, service_role;
revoke execute on function public.claim_full_pass_retry() from public, anon, authenticated, service_role;
revoke execute on function public.rebuild_memory() from public, anon, authenticated, service_role;
revoke execute on function public.cancel_import() from public, anon, authenticated, service_role;
grant execute on function public.get_import_status() to authenticated;
grant execute on function public.begin_import(text, text, uuid) to authenticated;
grant execute on function public.claim_full_pass_retry() to authenticated;
grant execute on function public.rebuild_memory() to authenticated;
grant execute on function public.cancel_import() to authenticated;

revoke execute on function public.worker_lease_tasks(text, int, int, text) from public, anon, authenticated, service_role;
revoke execute on function public.worker_heartbeat(bigint, text, int, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_complete_task(bigint, text, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_fail_task(bigint, text, text, text) from public, anon, authenticated, service_role;
revoke execute on function public.worker_add_tasks(uuid, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_report_progress(uuid, text, int, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_mark_quick_ready(uuid, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_finish_run(uuid) from public, anon, authenticated, service_role;
revoke execute on function public.worker_sweep(int, text, int) from public, anon, authenticated, service_role;
grant execute on function public.worker_lease_tasks(text, int, int, text) to service_role;
grant execute on function public.worker_heartbeat(bigint, text, int, jsonb) to service_role;
grant execute on function public.worker_complete_task(bigint, text, jsonb) to service_role;
grant execute on function public.worker_fail_task(bigint, text, text, text) to service_role;
grant execute on function public.worker_add_tasks(uuid, jsonb) to service_role;
grant execute on function public.worker_report_progress(uuid, text, int, jsonb) to service_role;
grant execute on function public.worker_mark_quick_ready(uuid, jsonb) to service_role;
grant execute on function public.worker_finish_run(uuid) to service_role;
grant execute on function public.worker_sweep(int, text, int) to service_role;

revoke execute on all functions in schema engram_private from public, anon, authenticated, service_role;
grant execute on function engram_private.object_path_problem(uuid, text) to authenticated;
grant execute on function engram_private.raise_error(int, text, text, jsonb) to authenticated;
