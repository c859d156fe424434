-- pg_cron subset for the Engram local stack: same schema, tables and functions as pg_cron 1.6,
-- written in SQL. The jobs are run by the stack's scheduler (supabase/local/src/cron), which
-- reads cron.job every second and records each run in cron.job_run_details.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema cron;
comment on schema cron is 'pg_cron (local stack subset): scheduled jobs and their run history';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create sequence cron.jobid_seq;
create sequence cron.runid_seq;

create table cron.job (
  jobid bigint primary key default nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default coalesce(inet_server_port(), current_setting('port')::integer),
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
comment on table cron.job is 'pg_cron jobs: schedule (5-field cron or ''N seconds''), SQL command, owner';
alter sequence cron.jobid_seq owned by cron.job.jobid;

create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
comment on table cron.job_run_details is 'pg_cron run history: status starting|running|succeeded|failed';
alter sequence cron.runid_seq owned by cron.job_run_details.runid;
create index job_run_details_jobid_idx on cron.job_run_details (jobid, runid);

select pg_catalog.pg_extension_config_dump('cron.job', '');
select pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');

-- ---------------------------------------------------------------------------------------------
-- Policies: a role sees its own jobs (superusers see all), as in pg_cron
-- ---------------------------------------------------------------------------------------------
alter table cron.job enable row level security;
alter table cron.job_run_details enable row level security;
create policy cron_job_policy on cron.job using (username = current_user);
create policy cron_job_run_details_policy on cron.job_run_details using (username = current_user);

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
create function cron._valid_schedule(schedule text) returns text
language plpgsql immutable strict
set search_path = ''
as $$
declare
  v text := lower(btrim(schedule));
  v_fields text[];
  v_element constant text := '(\*|[0-9]{1,2}(-[0-9]{1,2})?|[a-z]{3}(-[a-z]{3})?)(/[0-9]{1,2})?';
begin
  if v ~ '^[0-9]+ seconds?$' then
    if split_part(v, ' ', 1)::integer between 1 and 59 then
      return btrim(schedule);
    end if;
    raise exception 'invalid schedule: %', schedule
      using hint = 'seconds schedules must be between 1 and 59 seconds';
  end if;
  if v in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly', '@reboot') then
    return btrim(schedule);
  end if;
  v_fields := regexp_split_to_array(v, '\s+');
  if array_length(v_fields, 1) = 5
    and v_fields[1] ~ ('^' || v_element || '(,' || v_element || ')*$')
    and v_fields[2] ~ ('^' || v_element || '(,' || v_element || ')*$')
    and (v_fields[3] = '$' or v_fields[3] ~ ('^' || v_element || '(,' || v_element || ')*$'))
    and v_fields[4] ~ ('^' || v_element || '(,' || v_element || ')*$')
    and v_fields[5] ~ ('^' || v_element || '(,' || v_element || ')*$')
  then
    return btrim(schedule);
  end if;
  raise exception 'invalid schedule: %', schedule;
end;
$$;
comment on function cron._valid_schedule(text) is
  'Returns the schedule when it is 5-field cron, ''N seconds'' (1-59) or an @ macro; raises otherwise.';

-- ---------------------------------------------------------------------------------------------
-- Functions (pg_cron's API)
-- ---------------------------------------------------------------------------------------------
create function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql
as $$
  insert into cron.job (schedule, command, jobname)
  values (cron._valid_schedule($2), $3, $1)
  on conflict on constraint jobname_username_uniq
  do update set schedule = excluded.schedule, command = excluded.command
  returning jobid;
$$;
comment on function cron.schedule(text, text, text) is
  'Creates the named job, or replaces the schedule and command of the caller''s job of that name.';

create function cron.schedule(schedule text, command text) returns bigint
language sql
as $$
  insert into cron.job (schedule, command) values (cron._valid_schedule($1), $2) returning jobid;
$$;
comment on function cron.schedule(text, text) is 'Creates an unnamed job; returns its jobid.';

create function cron.schedule_in_database(
  job_name text, schedule text, command text, database text,
  username text default null, active boolean default true
) returns bigint
language sql
as $$
  insert into cron.job (schedule, command, jobname, database, username, active)
  values (cron._valid_schedule($2), $3, $1, $4, coalesce($5, current_user), coalesce($6, true))
  on conflict on constraint jobname_username_uniq
  do update set schedule = excluded.schedule, command = excluded.command,
    database = excluded.database, active = excluded.active
  returning jobid;
$$;
comment on function cron.schedule_in_database(text, text, text, text, text, boolean) is
  'Like cron.schedule, running the command in another database of this server.';

create function cron.unschedule(job_name text) returns boolean
language plpgsql
set search_path = ''
as $$
begin
  delete from cron.job j where j.jobname = $1 and j.username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', $1;
  end if;
  return true;
end;
$$;
comment on function cron.unschedule(text) is 'Deletes the caller''s job of that name; raises when there is none.';

create function cron.unschedule(job_id bigint) returns boolean
language plpgsql
set search_path = ''
as $$
begin
  delete from cron.job j
  where j.jobid = $1
    and (j.username = current_user or (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user));
  if not found then
    raise exception 'could not find valid entry for job %', $1;
  end if;
  return true;
end;
$$;
comment on function cron.unschedule(bigint) is 'Deletes the job with that id; raises when there is none.';

create function cron.alter_job(
  job_id bigint,
  schedule text default null,
  command text default null,
  database text default null,
  username text default null,
  active boolean default null
) returns void
language plpgsql
set search_path = ''
as $$
begin
  update cron.job j set
    schedule = coalesce(cron._valid_schedule($2), j.schedule),
    command = coalesce($3, j.command),
    database = coalesce($4, j.database),
    username = coalesce($5, j.username),
    active = coalesce($6, j.active)
  where j.jobid = $1
    and (j.username = current_user or (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user));
  if not found then
    raise exception 'Job % does not exist or you don''t own it', $1;
  end if;
end;
$$;
comment on function cron.alter_job(bigint, text, text, text, text, boolean) is
  'Changes the given fields of a job (null keeps a field).';

-- ---------------------------------------------------------------------------------------------
-- Grants: only roles given usage on schema cron can schedule (Supabase grants postgres).
-- ---------------------------------------------------------------------------------------------
revoke all on schema cron from public;
grant select on cron.job to public;
grant select, delete on cron.job_run_details to public;
do $$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'postgres') then
    grant usage on schema cron to postgres;
    grant all on all tables in schema cron to postgres;
    grant all on all sequences in schema cron to postgres;
  end if;
end
$$;
