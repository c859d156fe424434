-- The import sweep: every 5 seconds pg_cron requeues expired leases and settles finished runs
-- (public.worker_sweep), then — only when some run is stalled (ready tasks, no live lease) — wakes
-- the import worker with pg_net, exactly as on a hosted project. A worker that died mid-task therefore never leaves a run
-- in `processing`: its lease expires, the task is requeued (or, out of attempts, fails the run with
-- "The worker stopped responding"), and the worker is re-kicked.
--
-- The function URL and the key come from Vault (`vault.decrypted_secrets`):
--   project_url       e.g. https://<ref>.supabase.co   (the local stack seeds http://127.0.0.1:54321)
--   service_role_key  the project's service_role key (the worker accepts nothing else)
-- On a hosted project create both once after deploying:
--   select vault.create_secret('https://<ref>.supabase.co', 'project_url');
--   select vault.create_secret('<service_role key>', 'service_role_key');

-- ---------------------------------------------------------------------------------------------
-- Extensions (present on hosted Supabase and in the local stack; skipped with a notice elsewhere)
-- ---------------------------------------------------------------------------------------------
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    create extension if not exists pg_cron;
  else
    raise notice 'pg_cron is not available: the import sweep is not scheduled';
  end if;
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net;
  else
    raise notice 'pg_net is not available: the import sweep cannot wake the worker';
  end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
create or replace function engram_private.sweep_imports() returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
  v_url text;
  v_key text;
  v_request bigint;
  v_stalled int;
begin
  v_result := public.worker_sweep(120);
  -- Wake the worker only for a stalled run: ready tasks but no live lease. A run a worker chain
  -- is busy with is left alone, so sweeps never pile extra chains onto a healthy run.
  select count(*) into v_stalled
  from engram_private.import_runs r
  where r.lane = 'default'
    and r.status in ('queued', 'running')
    and exists (select 1 from engram_private.import_tasks t
                where t.run_id = r.id and t.state = 'queued' and t.retry_after <= now())
    and not exists (select 1 from engram_private.import_tasks t
                    where t.run_id = r.id and t.state = 'running' and t.lease_expires_at > now());
  v_result := v_result || jsonb_build_object('stalled_runs', v_stalled);
  if v_stalled = 0 then
    return v_result || jsonb_build_object('kicked', false);
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into v_key from vault.decrypted_secrets s where s.name = 'service_role_key';
  if v_url is null or v_key is null then
    raise warning 'engram import sweep: vault secrets project_url and service_role_key are required to wake the worker';
    return v_result || jsonb_build_object('kicked', false, 'reason', 'missing vault secrets');
  end if;
  select net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/import-worker',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || v_key,
      'apikey', v_key),
    body := jsonb_build_object('reason', 'sweep'),
    timeout_milliseconds := 5000
  ) into v_request;
  return v_result || jsonb_build_object('kicked', true, 'request_id', v_request);
end
$$;
comment on function engram_private.sweep_imports() is
  'Scheduled every 5 s (pg_cron job engram-import-sweep): worker_sweep(120), then a pg_net POST to /functions/v1/import-worker with the service_role key from Vault when a run is stalled (ready tasks, no live lease). Returns the sweep report plus stalled_runs and kicked.';

revoke execute on function engram_private.sweep_imports() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Schedule
-- ---------------------------------------------------------------------------------------------
do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'cron') then
    perform cron.schedule('engram-import-sweep', '5 seconds', 'select engram_private.sweep_imports()');
  end if;
end
$$;
