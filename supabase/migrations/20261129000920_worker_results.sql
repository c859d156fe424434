-- Lets the finalize task read what the shard tasks of its run recorded (topic and activity counts
-- in their results), so the MEMORY profile covers the whole export without re-reading any shard.

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------
create or replace function public.worker_task_results(p_run_id uuid, p_kind text) returns setof jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(t.result, '{}'::jsonb)
  from engram_private.import_tasks t
  where t.run_id = p_run_id and t.kind = p_kind and t.state = 'done'
  order by t.id
$$;
comment on function public.worker_task_results(uuid, text) is
  'Worker only. The results of the done tasks of one kind in a run, in task order (finalize merges the shard tasks'' topic and activity counts).';

revoke execute on function public.worker_task_results(uuid, text) from public, anon, authenticated;
grant execute on function public.worker_task_results(uuid, text) to service_role;
