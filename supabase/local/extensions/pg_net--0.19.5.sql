-- pg_net subset for the Engram local stack: the schema, queue, response table and request
-- functions of pg_net 0.19, written in SQL. Requests are queued here and performed after commit
-- by the stack's scheduler (supabase/local/src/cron), woken by NOTIFY with a poll fallback.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

create schema net;
comment on schema net is 'pg_net (local stack subset): asynchronous HTTP requests from SQL';

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------
create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
create type net.http_response as (status_code integer, headers jsonb, body text);
create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create unlogged table net.http_request_queue (
  id bigserial,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);
comment on table net.http_request_queue is 'pg_net: requests waiting to be sent (visible to the sender after commit)';
create index http_request_queue_id_idx on net.http_request_queue (id);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
comment on table net._http_response is 'pg_net: one row per performed request (id = the request id), kept 6 hours';
create index _http_response_created_idx on net._http_response (created);
create index _http_response_id_idx on net._http_response (id);

-- ---------------------------------------------------------------------------------------------
-- Triggers: wake the sender when a transaction that queued requests commits
-- ---------------------------------------------------------------------------------------------
create function net._wake_worker() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_notify('engram_pg_net', '');
  return null;
end;
$$;
comment on function net._wake_worker() is 'Notifies the local stack''s sender (delivered at commit only).';

create trigger wake_worker after insert on net.http_request_queue
  for each statement execute function net._wake_worker();

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
create function net._urlencode(value text) returns text
language plpgsql immutable strict
set search_path = ''
as $$
declare
  v_bytes bytea := pg_catalog.convert_to(value, 'UTF8');
  v_out text := '';
  v_byte integer;
begin
  for i in 0 .. pg_catalog.length(v_bytes) - 1 loop
    v_byte := pg_catalog.get_byte(v_bytes, i);
    if (v_byte between 48 and 57) or (v_byte between 65 and 90) or (v_byte between 97 and 122)
       or v_byte in (45, 46, 95, 126) then
      v_out := v_out || pg_catalog.chr(v_byte);
    else
      v_out := v_out || '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(v_byte), 2, '0'));
    end if;
  end loop;
  return v_out;
end;
$$;
comment on function net._urlencode(text) is 'Percent-encodes a query-string key or value (RFC 3986 unreserved kept).';

create function net._with_params(url text, params jsonb) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when $2 is null or $2 = '{}'::jsonb then $1
    else $1 || case when pg_catalog.strpos($1, '?') > 0 then '&' else '?' end || (
      select pg_catalog.string_agg(net._urlencode(p.key) || '=' || net._urlencode(p.value), '&')
      from pg_catalog.jsonb_each_text($2) as p
    )
  end;
$$;
comment on function net._with_params(text, jsonb) is 'Appends params (a JSON object) to url as a query string.';

create function net._enqueue(
  method text, url text, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if url is null or url !~* '^https?://' then
    raise exception 'invalid url: %', url using hint = 'pg_net sends http:// and https:// URLs';
  end if;
  if timeout_milliseconds is null or timeout_milliseconds <= 0 then
    raise exception 'timeout_milliseconds must be positive, got %', timeout_milliseconds;
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, coalesce(headers, '{}'::jsonb), body, timeout_milliseconds)
  returning id into v_id;
  return v_id;
end;
$$;
comment on function net._enqueue(text, text, jsonb, bytea, integer) is 'Queues one request; returns its id.';

-- ---------------------------------------------------------------------------------------------
-- Functions (pg_net's API)
-- ---------------------------------------------------------------------------------------------
create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue('GET', net._with_params($1, $2), $3, null, $4);
$$;
comment on function net.http_get(text, jsonb, jsonb, integer) is
  'Queues a GET, sent after commit; the response lands in net._http_response under the returned id.';

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue(
    'POST',
    net._with_params($1, $3),
    case
      when exists (select 1 from pg_catalog.jsonb_object_keys(coalesce($4, '{}'::jsonb)) k where pg_catalog.lower(k) = 'content-type')
        then $4
      else coalesce($4, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb
    end,
    pg_catalog.convert_to(coalesce($2, 'null'::jsonb)::text, 'UTF8'),
    $5
  );
$$;
comment on function net.http_post(text, jsonb, jsonb, jsonb, integer) is
  'Queues a POST of a JSON body, sent after commit; the response lands in net._http_response.';

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue(
    'DELETE', net._with_params($1, $2), $3,
    case when $5 is null then null else pg_catalog.convert_to($5::text, 'UTF8') end, $4
  );
$$;
comment on function net.http_delete(text, jsonb, jsonb, integer, jsonb) is
  'Queues a DELETE, sent after commit; the response lands in net._http_response.';

create function net.http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select case
       when r.error_msg is not null or r.timed_out
         then row('ERROR', coalesce(r.error_msg, 'timed out'), null)::net.http_response_result
       else row('SUCCESS', 'ok', row(r.status_code, r.headers, r.content)::net.http_response)::net.http_response_result
     end
     from net._http_response r where r.id = $1 order by r.created desc limit 1),
    row('PENDING', 'request is pending processing', null)::net.http_response_result
  );
$$;
comment on function net.http_collect_response(bigint, boolean) is
  'Deprecated pg_net API: the state of a request (PENDING until the response row exists). Never blocks.';

create function net._await_response(request_id bigint) returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  loop
    exit when exists (select 1 from net._http_response r where r.id = request_id);
    perform pg_catalog.pg_sleep(0.05);
  end loop;
  return true;
end;
$$;
comment on function net._await_response(bigint) is
  'Waits until the response of request_id is recorded (only useful for a request committed earlier).';

-- ---------------------------------------------------------------------------------------------
-- Grants, as Supabase's grant_pg_net_access event trigger gives them
-- ---------------------------------------------------------------------------------------------
revoke all on schema net from public;
revoke all on all functions in schema net from public;
do $$
declare
  r text;
begin
  foreach r in array array['postgres', 'anon', 'authenticated', 'service_role', 'supabase_functions_admin'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute format('grant usage on schema net to %I', r);
      execute format('grant execute on function net.http_get(text, jsonb, jsonb, integer) to %I', r);
      execute format('grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) to %I', r);
      execute format('grant execute on function net.http_delete(text, jsonb, jsonb, integer, jsonb) to %I', r);
    end if;
  end loop;
  foreach r in array array['postgres', 'service_role', 'supabase_functions_admin'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute format('grant execute on function net.http_collect_response(bigint, boolean) to %I', r);
      execute format('grant execute on function net._await_response(bigint) to %I', r);
      execute format('grant select on net._http_response, net.http_request_queue to %I', r);
    end if;
  end loop;
end
$$;
