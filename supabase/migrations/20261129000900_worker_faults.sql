-- Fault injection for the import worker's tests (local stack only).
--
-- Tests (and the browser end-to-end test) insert rows here as the superuser or the service role;
-- no API role can read or write the table. The worker asks `worker_take_faults()` at the start of
-- every task step, and honours the answer only when fault injection is on in its environment
-- (ENGRAM_FAULTS=1, or by default when SUPABASE_URL is a loopback address — never on hosted).
-- On a hosted project the table simply stays empty.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table engram_private.fault_injections (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  task_kind text not null check (task_kind in ('normalize', 'quick_pass', 'shard', 'finalize')),
  -- null: any task of that kind; else only the shard task with payload.shard = shard_index.
  shard_index int,
  action text not null check (action in ('fail', 'fail_permanent', 'kill', 'delay', 'lease')),
  -- kill: exit the worker process after this many items of the task (0 = before any work).
  after_items int not null default 0 check (after_items >= 0),
  delay_ms int check (delay_ms >= 0),
  lease_seconds int check (lease_seconds between 1 and 3600),
  message text,
  -- fail: use up the task's remaining attempts first, so the failure is final at once.
  final boolean not null default false,
  -- How many times the row fires; null = every time.
  times int check (times > 0),
  fired int not null default 0,
  created_at timestamptz not null default now()
);
comment on table engram_private.fault_injections is
  'Test-only fault injection for import-worker (local stack): fail a task once/always (retryable or permanent), kill the worker after N items, delay a task, or shorten its lease. Written by tests as superuser/service role; read only through worker_take_faults().';

create index fault_injections_user_kind_idx on engram_private.fault_injections (user_id, task_kind);

alter table engram_private.fault_injections enable row level security;
grant select, insert, update, delete on engram_private.fault_injections to service_role;

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------
create or replace function public.worker_take_faults(
  p_user_id uuid,
  p_kind text,
  p_shard_index int default null
) returns table (
  id bigint,
  action text,
  after_items int,
  delay_ms int,
  lease_seconds int,
  message text,
  final boolean
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query
  with candidates as (
    select distinct on (f.action) f.id
    from engram_private.fault_injections f
    where f.user_id = p_user_id
      and f.task_kind = p_kind
      and (f.shard_index is null or f.shard_index = p_shard_index)
      and (f.times is null or f.fired < f.times)
    order by f.action, f.id
  ), fired as (
    update engram_private.fault_injections f
    set fired = f.fired + 1
    from candidates c
    where f.id = c.id and (f.times is null or f.fired < f.times)
    returning f.id, f.action, f.after_items, f.delay_ms, f.lease_seconds, f.message, f.final
  )
  select fired.id, fired.action, fired.after_items, fired.delay_ms, fired.lease_seconds, fired.message, fired.final
  from fired
  order by fired.id;
end
$$;
comment on function public.worker_take_faults(uuid, text, int) is
  'Worker only (service_role): the fault-injection rows (at most one per action) that fire for a task of p_kind (and shard p_shard_index) of p_user_id, each consumed once per call. The worker ignores them unless fault injection is enabled in its environment.';

revoke execute on function public.worker_take_faults(uuid, text, int) from public, anon, authenticated;
grant execute on function public.worker_take_faults(uuid, text, int) to service_role;

create or replace function public.worker_fault_exhaust_attempts(p_task_id bigint, p_worker text) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update engram_private.import_tasks t set attempts = greatest(t.attempts, t.max_attempts)
  where t.id = p_task_id and t.state = 'running' and t.lease_owner = p_worker
    and exists (select 1 from engram_private.fault_injections f where f.user_id = t.user_id and f.final);
end
$$;
comment on function public.worker_fault_exhaust_attempts(bigint, text) is
  'Worker only, fault injection: before reporting an injected final failure, uses up the remaining attempts of a task the worker holds (only for users with a final fault row), so worker_fail_task fails it for good at once.';

revoke execute on function public.worker_fault_exhaust_attempts(bigint, text) from public, anon, authenticated;
grant execute on function public.worker_fault_exhaust_attempts(bigint, text) to service_role;
