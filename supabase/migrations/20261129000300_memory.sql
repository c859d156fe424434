-- Memory: what an import produces (conversation chunks, deduplicated facts, the consolidated
-- memory profile) and the chat that uses it. Users read their own rows; only the worker
-- (service_role, through idempotent upsert RPCs) writes derived rows; users write only their own
-- chat messages with role 'user'.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table public.conversation_chunks (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  import_id uuid,
  conversation_id text not null check (length(conversation_id) between 1 and 200),
  chunk_index int not null check (chunk_index >= 0),
  content text not null,
  content_hash text not null,
  conversation_title text,
  conversation_time timestamptz,
  token_estimate int check (token_estimate >= 0),
  -- Title words rank above body words (A vs B).
  fts tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(conversation_title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, content), 'B')
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The idempotency key of a chunk: replaying a shard rewrites the same rows, never adds any.
  constraint conversation_chunks_key unique (user_id, conversation_id, chunk_index)
);
comment on table public.conversation_chunks is
  'Searchable pieces of a user''s conversations; key (user_id, conversation_id, chunk_index) makes worker writes idempotent; content_hash (sha256, computed in SQL) skips unchanged rewrites; fts is a weighted tsvector (title A, body B).';
create index conversation_chunks_fts_idx on public.conversation_chunks using gin (fts);
create index conversation_chunks_user_time_idx on public.conversation_chunks (user_id, conversation_time desc);

create table public.memory_facts (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  fact_key text not null check (length(fact_key) between 1 and 200),
  category text,
  statement text not null,
  confidence real not null default 0.5 check (confidence between 0 and 1),
  sources jsonb not null default '[]'::jsonb check (jsonb_typeof(sources) = 'array'),
  first_seen timestamptz,
  last_seen timestamptz,
  fts tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(category, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, statement), 'A')
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint memory_facts_key unique (user_id, fact_key)
);
comment on table public.memory_facts is
  'Facts about the user, deduplicated per user by a normalized key (lower-case alphanumerics, single spaces, <= 200 chars); sources lists up to 50 {conversation_id, chunk_index, conversation_title, conversation_time}, newest first.';
create index memory_facts_fts_idx on public.memory_facts using gin (fts);

create table public.memory_profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  import_id uuid,
  markdown text not null default '',
  facts jsonb not null default '[]'::jsonb check (jsonb_typeof(facts) = 'array'),
  stats jsonb not null default '{}'::jsonb check (jsonb_typeof(stats) = 'object'),
  partial boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.memory_profiles is
  'The consolidated memory of a user: markdown, structured facts and stats (counts, per-month activity, top topics); partial = true until the full pass has finished.';

create table public.chat_messages (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  role text not null check (role in ('user', 'assistant')),
  content text not null check (length(content) between 1 and 32000),
  sources jsonb not null default '[]'::jsonb check (jsonb_typeof(sources) = 'array'),
  created_at timestamptz not null default now()
);
comment on table public.chat_messages is
  'Chat history. Users insert their own role=user messages and read their own; assistant replies are written by the service role.';
create index chat_messages_user_created_idx on public.chat_messages (user_id, created_at desc);

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------
create trigger conversation_chunks_set_updated_at before update on public.conversation_chunks
  for each row execute function engram_private.set_updated_at();
create trigger memory_facts_set_updated_at before update on public.memory_facts
  for each row execute function engram_private.set_updated_at();
create trigger memory_profiles_set_updated_at before update on public.memory_profiles
  for each row execute function engram_private.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
create or replace function engram_private.normalize_fact_key(p_text text) returns text
language sql
immutable
set search_path = ''
as $$
  select left(trim(regexp_replace(lower(coalesce(p_text, '')), '[^[:alnum:]]+', ' ', 'g')), 200)
$$;
comment on function engram_private.normalize_fact_key(text) is
  'Fact dedup key: lower case, runs of non-alphanumerics collapsed to one space, trimmed, at most 200 chars.';

-- Union of two source lists, one entry per (conversation_id, chunk_index), newest first, capped at
-- 50 so a fact mentioned in thousands of chats stays a small row. Deterministic order, so merging
-- the same sources again yields an identical value (replays change nothing).
create or replace function engram_private.merge_sources(p_a jsonb, p_b jsonb) returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_agg(r.src order by r.rn), '[]'::jsonb)
  from (
    select d.src, row_number() over (order by d.t desc nulls last, d.cid, d.idx) as rn
    from (
      select distinct on (e ->> 'conversation_id', (e ->> 'chunk_index')::int)
        jsonb_build_object(
          'conversation_id', e ->> 'conversation_id',
          'chunk_index', (e ->> 'chunk_index')::int,
          'conversation_title', e ->> 'conversation_title',
          'conversation_time', (e ->> 'conversation_time')::timestamptz
        ) as src,
        (e ->> 'conversation_time')::timestamptz as t,
        e ->> 'conversation_id' as cid,
        (e ->> 'chunk_index')::int as idx
      from jsonb_array_elements(coalesce(p_a, '[]'::jsonb) || coalesce(p_b, '[]'::jsonb)) as e
      where e ->> 'conversation_id' is not null
      order by e ->> 'conversation_id', (e ->> 'chunk_index')::int,
        (e ->> 'conversation_time')::timestamptz desc nulls last
    ) d
  ) r
  where r.rn <= 50
$$;
comment on function engram_private.merge_sources(jsonb, jsonb) is
  'Merges two fact source lists: one entry per (conversation_id, chunk_index), newest first, at most 50 (older ones dropped).';

-- ---------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------
alter table public.conversation_chunks enable row level security;
alter table public.memory_facts enable row level security;
alter table public.memory_profiles enable row level security;
alter table public.chat_messages enable row level security;

-- Derived rows are read-only for users (privilege and policy both say so); anon gets nothing.
revoke all on public.conversation_chunks, public.memory_facts, public.memory_profiles, public.chat_messages from anon;
revoke insert, update, delete, truncate, references, trigger
  on public.conversation_chunks, public.memory_facts, public.memory_profiles from authenticated;
revoke update, delete, truncate, references, trigger on public.chat_messages from authenticated;

create policy "Users can read their own conversation chunks"
  on public.conversation_chunks for select
  to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can read their own memory facts"
  on public.memory_facts for select
  to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can read their own memory profile"
  on public.memory_profiles for select
  to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can read their own chat messages"
  on public.chat_messages for select
  to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can send their own chat messages"
  on public.chat_messages for insert
  to authenticated
  with check (user_id = (select auth.uid()) and role = 'user');

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------

-- Worker write path for chunks. Idempotent: the key is (user, conversation, chunk index) and a
-- row is rewritten only when its sha256, title or time changed, so replaying a shard after a
-- lost lease changes nothing. Duplicate keys inside one batch keep the last one.
create or replace function public.worker_upsert_chunks(
  p_user_id uuid,
  p_import_id uuid,
  p_chunks jsonb
) returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count int;
begin
  if p_user_id is null or jsonb_typeof(p_chunks) is distinct from 'array' then
    perform engram_private.raise_error(400, 'invalid_argument', 'worker_upsert_chunks expects a user id and a JSON array of chunks');
  end if;
  with input as (
    select r.*
    from rows from (jsonb_to_recordset(p_chunks) as (
      conversation_id text, chunk_index int, content text, conversation_title text,
      conversation_time timestamptz, token_estimate int)) with ordinality as r(
      conversation_id, chunk_index, content, conversation_title, conversation_time, token_estimate, ord)
  ), latest as (
    select distinct on (i.conversation_id, i.chunk_index) i.*
    from input i
    order by i.conversation_id, i.chunk_index, i.ord desc
  ), written as (
    insert into public.conversation_chunks as c (
      user_id, import_id, conversation_id, chunk_index, content, content_hash,
      conversation_title, conversation_time, token_estimate)
    select p_user_id, p_import_id, l.conversation_id, l.chunk_index, l.content,
      encode(extensions.digest(convert_to(l.content, 'UTF8'), 'sha256'), 'hex'),
      l.conversation_title, l.conversation_time, l.token_estimate
    from latest l
    on conflict (user_id, conversation_id, chunk_index) do update set
      import_id = excluded.import_id,
      content = excluded.content,
      content_hash = excluded.content_hash,
      conversation_title = excluded.conversation_title,
      conversation_time = excluded.conversation_time,
      token_estimate = excluded.token_estimate
    where c.content_hash is distinct from excluded.content_hash
      or c.conversation_title is distinct from excluded.conversation_title
      or c.conversation_time is distinct from excluded.conversation_time
    returning 1
  )
  select count(*) into v_count from written;
  return v_count;
end
$$;
comment on function public.worker_upsert_chunks(uuid, uuid, jsonb) is
  'Worker only. Upserts [{conversation_id, chunk_index, content, conversation_title, conversation_time, token_estimate}] for a user; returns rows inserted or changed (0 on a replay).';

-- Worker write path for facts: dedup by normalized key (within the batch and against stored
-- rows), merge sources, keep the highest confidence and the widest seen range. Seen times come
-- from the sources (never now()), so a replay changes nothing.
create or replace function public.worker_upsert_facts(
  p_user_id uuid,
  p_facts jsonb
) returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count int;
begin
  if p_user_id is null or jsonb_typeof(p_facts) is distinct from 'array' then
    perform engram_private.raise_error(400, 'invalid_argument', 'worker_upsert_facts expects a user id and a JSON array of facts');
  end if;
  with input as (
    select engram_private.normalize_fact_key(coalesce(nullif(f.fact_key, ''), f.statement)) as k,
      f.category, f.statement, least(greatest(coalesce(f.confidence, 0.5), 0), 1)::real as confidence,
      coalesce(f.sources, '[]'::jsonb) as sources, ord
    from rows from (jsonb_to_recordset(p_facts) as (
      fact_key text, category text, statement text, confidence real, sources jsonb)) with ordinality as f(
      fact_key, category, statement, confidence, sources, ord)
    where f.statement is not null and length(trim(f.statement)) > 0
  ), grouped as (
    select i.k,
      (array_agg(i.category order by i.confidence desc, i.ord) filter (where i.category is not null))[1] as category,
      (array_agg(i.statement order by i.confidence desc, i.ord))[1] as statement,
      max(i.confidence) as confidence,
      engram_private.merge_sources('[]'::jsonb, coalesce(jsonb_agg(e.elem) filter (where e.elem is not null), '[]'::jsonb)) as sources,
      min((e.elem ->> 'conversation_time')::timestamptz) as first_seen,
      max((e.elem ->> 'conversation_time')::timestamptz) as last_seen
    from input i
    left join lateral jsonb_array_elements(i.sources) as e(elem) on true
    where i.k <> ''
    group by i.k
  ), written as (
    insert into public.memory_facts as m (user_id, fact_key, category, statement, confidence, sources, first_seen, last_seen)
    select p_user_id, g.k, g.category, g.statement, g.confidence, g.sources, g.first_seen, g.last_seen
    from grouped g
    on conflict (user_id, fact_key) do update set
      category = coalesce(m.category, excluded.category),
      confidence = greatest(m.confidence, excluded.confidence),
      sources = engram_private.merge_sources(m.sources, excluded.sources),
      first_seen = least(m.first_seen, excluded.first_seen),
      last_seen = greatest(m.last_seen, excluded.last_seen)
    where engram_private.merge_sources(m.sources, excluded.sources) is distinct from m.sources
      or excluded.confidence > m.confidence
      or excluded.first_seen < m.first_seen
      or excluded.last_seen > m.last_seen
      or (m.category is null and excluded.category is not null)
    returning 1
  )
  select count(*) into v_count from written;
  return v_count;
end
$$;
comment on function public.worker_upsert_facts(uuid, jsonb) is
  'Worker only. Upserts [{fact_key?, category, statement, confidence, sources}] deduplicated by normalized key with merged sources; returns rows inserted or changed (0 on a replay).';

-- Ranked full-text search over the caller's own chunks and facts. Security invoker: RLS and the
-- explicit user filter both apply. Snippets are computed for the top hits only (ts_headline is
-- the expensive part). Facts rank x1.5: they are distilled, a chunk is raw text.
create or replace function public.search_memory(p_query text, p_limit int default 10)
returns table (
  kind text,
  id text,
  snippet text,
  content text,
  conversation_id text,
  conversation_title text,
  conversation_time timestamptz,
  rank real
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_limit int := least(greatest(coalesce(p_limit, 10), 1), 50);
  v_query tsquery;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in to search your memory');
  end if;
  if p_query is null or length(trim(p_query)) = 0 then
    return;
  end if;
  if length(p_query) > 1000 then
    perform engram_private.raise_error(400, 'invalid_query', 'A search query is at most 1000 characters');
  end if;
  v_query := websearch_to_tsquery('english'::regconfig, p_query);
  if numnode(v_query) = 0 then
    return;
  end if;
  return query
  with hits as (
    (select 'chunk'::text as h_kind, c.id::text as h_id, c.content as h_content, c.conversation_id as h_cid,
        c.conversation_title as h_title, c.conversation_time as h_time, ts_rank_cd(c.fts, v_query) as h_rank
     from public.conversation_chunks c
     where c.user_id = v_uid and c.fts @@ v_query
     order by h_rank desc
     limit v_limit)
    union all
    (select 'fact'::text, f.id::text, f.statement, f.sources -> 0 ->> 'conversation_id',
        f.sources -> 0 ->> 'conversation_title', (f.sources -> 0 ->> 'conversation_time')::timestamptz,
        (ts_rank_cd(f.fts, v_query) * 1.5)::real
     from public.memory_facts f
     where f.user_id = v_uid and f.fts @@ v_query
     order by 7 desc
     limit v_limit)
  ), top as (
    select * from hits h order by h.h_rank desc, h.h_id limit v_limit
  )
  select t.h_kind, t.h_id,
    ts_headline('english'::regconfig, t.h_content, v_query,
      'StartSel=**, StopSel=**, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "'),
    t.h_content, t.h_cid, t.h_title, t.h_time, t.h_rank
  from top t
  order by t.h_rank desc, t.h_id;
end
$$;
comment on function public.search_memory(text, int) is
  'Ranked full-text search (websearch syntax, english) over the caller''s chunks and facts: {kind chunk|fact, id, snippet (matches in **bold**), content, conversation_id, conversation_title, conversation_time, rank}; limit 1..50.';

revoke execute on function public.worker_upsert_chunks(uuid, uuid, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.worker_upsert_facts(uuid, jsonb) from public, anon, authenticated, service_role;
revoke execute on function public.search_memory(text, int) from public, anon, authenticated, service_role;
grant execute on function public.worker_upsert_chunks(uuid, uuid, jsonb) to service_role;
grant execute on function public.worker_upsert_facts(uuid, jsonb) to service_role;
grant execute on function public.search_memory(text, int) to authenticated;

revoke execute on all functions in schema engram_private from public, anon, authenticated, service_role;
grant execute on function engram_private.object_path_problem(uuid, text) to authenticated;
-- search_memory runs as the caller and reports errors through raise_error.
grant execute on function engram_private.raise_error(int, text, text, jsonb) to authenticated;
