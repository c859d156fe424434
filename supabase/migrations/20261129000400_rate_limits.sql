-- Rate limits in Postgres: per user, per action, one row each, decided atomically under a row lock.
--
-- Algorithm: GCRA (the generic cell rate algorithm, a sliding-window equivalent of a token
-- bucket). A rule "n calls per period P" spaces calls T = P / n apart and allows a burst of n.
-- The row keeps one timestamp, the theoretical arrival time (tat). A call is allowed when
-- max(tat, now) + T - now <= P; then tat moves on by T. A refused call learns exactly when to come
-- back: max(tat, now) + T - P - now. Unlike a fixed window there is no double burst at a window
-- edge (a fixed window lets 2n through around the boundary), and the state is one row, not a log.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table engram_private.rate_limit_rules (
  action text primary key,
  max_calls int not null check (max_calls > 0),
  per interval not null check (per > interval '0'),
  why text not null
);
comment on table engram_private.rate_limit_rules is
  'Rate limit per action: at most max_calls per sliding period `per` (GCRA, burst = max_calls).';
alter table engram_private.rate_limit_rules enable row level security;

insert into engram_private.rate_limit_rules (action, max_calls, per, why) values
  ('import', 10, interval '1 hour',
   'begin_import / rebuild_memory: each reads a whole export (hundreds of MB); 10 per hour covers retrying a bad upload several times'),
  ('retry', 5, interval '10 minutes',
   'claim_full_pass_retry: a full pass takes minutes; more than 5 retries in 10 minutes is a loop, not a user'),
  ('chat', 60, interval '1 minute',
   'chat: one LLM call per message; 60 per minute is faster than anyone types')
on conflict (action) do update set max_calls = excluded.max_calls, per = excluded.per, why = excluded.why;

create table engram_private.rate_limits (
  user_id uuid not null references auth.users (id) on delete cascade,
  action text not null references engram_private.rate_limit_rules (action) on delete cascade,
  tat timestamptz not null,
  primary key (user_id, action)
);
comment on table engram_private.rate_limits is
  'GCRA state per (user, action): the theoretical arrival time. A row whose tat is in the past is equivalent to no row (the sweep deletes those).';
alter table engram_private.rate_limits enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- Consumes one unit for (user, action) if allowed. Row-locked, so N parallel callers see
-- exactly max_calls successes. A refused call does not move tat (no penalty for asking).
create or replace function engram_private.consume_rate_limit(p_user_id uuid, p_action text)
returns table (allowed boolean, retry_after_seconds int, remaining int)
language plpgsql
set search_path = ''
as $$
declare
  v_rule engram_private.rate_limit_rules;
  v_tat timestamptz;
  v_now timestamptz;
  v_step interval;
  v_next timestamptz;
begin
  select * into v_rule from engram_private.rate_limit_rules r where r.action = p_action;
  if not found then
    perform engram_private.raise_error(400, 'unknown_action', format('No rate limit is defined for action "%s"', p_action));
  end if;
  v_step := v_rule.per / v_rule.max_calls;

  insert into engram_private.rate_limits (user_id, action, tat)
  values (p_user_id, p_action, clock_timestamp())
  on conflict (user_id, action) do nothing;
  select l.tat into v_tat from engram_private.rate_limits l
  where l.user_id = p_user_id and l.action = p_action
  for update;
  -- The time is read after the row lock is granted: a caller that waited decides on the clock
  -- of when it actually gets its turn.
  v_now := clock_timestamp();

  v_next := greatest(v_tat, v_now) + v_step;
  if v_next - v_now > v_rule.per then
    allowed := false;
    retry_after_seconds := greatest(1, ceil(extract(epoch from (v_next - v_rule.per - v_now)))::int);
    remaining := 0;
  else
    update engram_private.rate_limits l set tat = v_next
    where l.user_id = p_user_id and l.action = p_action;
    allowed := true;
    retry_after_seconds := 0;
    remaining := floor(extract(epoch from (v_rule.per - (v_next - v_now))) / extract(epoch from v_step))::int;
  end if;
  return next;
end
$$;
comment on function engram_private.consume_rate_limit(uuid, text) is
  'GCRA: consumes one call of p_action for p_user_id if allowed; returns (allowed, retry_after_seconds, remaining). Row-locked.';

-- The same decision without consuming (for get_import_status, which runs read-only).
create or replace function engram_private.peek_rate_limit(p_user_id uuid, p_action text)
returns int
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select case
      when greatest(l.tat, now()) + r.per / r.max_calls - now() > r.per
        then greatest(1, ceil(extract(epoch from (greatest(l.tat, now()) + r.per / r.max_calls - r.per - now())))::int)
      else 0
    end
    from engram_private.rate_limit_rules r
    left join engram_private.rate_limits l on l.action = r.action and l.user_id = p_user_id
    where r.action = p_action
  ), 0)
$$;
comment on function engram_private.peek_rate_limit(uuid, text) is
  'Seconds until p_user_id may do p_action again (0 = allowed now); consumes nothing.';

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------
create or replace function public.check_rate_limit(p_action text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_result record;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in first');
  end if;
  select * into v_result from engram_private.consume_rate_limit(v_uid, p_action);
  return jsonb_build_object(
    'allowed', v_result.allowed,
    'retry_after_seconds', v_result.retry_after_seconds,
    'remaining', v_result.remaining);
end
$$;
comment on function public.check_rate_limit(text) is
  'Consumes one call of p_action (import 10/hour, retry 5/10 min, chat 60/min) for the caller: {allowed, retry_after_seconds, remaining}. Never raises for a refusal; PT400 unknown_action for an unknown action.';

revoke execute on function public.check_rate_limit(text) from public, anon, authenticated, service_role;
grant execute on function public.check_rate_limit(text) to authenticated;
revoke execute on all functions in schema engram_private from public, anon, authenticated, service_role;
grant execute on function engram_private.object_path_problem(uuid, text) to authenticated;
grant execute on function engram_private.raise_error(int, text, text, jsonb) to authenticated;
