-- Chat: storing a question and its answer together.
--
-- chat_messages lets users insert only their own role = 'user' rows. The answer is written by the
-- `chat` Edge Function, which acts as the caller (RLS client), so the pair goes through one
-- security-definer RPC: both rows or neither, always for auth.uid(), never another user.

-- ---------------------------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------------------------
create or replace function public.save_chat_exchange(
  p_question text,
  p_answer text,
  p_sources jsonb default '[]'::jsonb
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_question public.chat_messages;
  v_answer public.chat_messages;
begin
  if v_uid is null then
    perform engram_private.raise_error(401, 'not_authenticated', 'Sign in to chat with your memory');
  end if;
  if p_question is null or length(trim(p_question)) = 0 or length(p_question) > 2000 then
    perform engram_private.raise_error(400, 'invalid_message', 'A question is 1 to 2000 characters');
  end if;
  if p_answer is null or length(trim(p_answer)) = 0 or length(p_answer) > 32000 then
    perform engram_private.raise_error(400, 'invalid_answer', 'An answer is 1 to 32000 characters');
  end if;
  if p_sources is null or jsonb_typeof(p_sources) <> 'array' or jsonb_array_length(p_sources) > 20 then
    perform engram_private.raise_error(400, 'invalid_sources', 'Sources are a JSON array of at most 20 items');
  end if;

  insert into public.chat_messages (user_id, role, content)
  values (v_uid, 'user', p_question)
  returning * into v_question;
  -- One microsecond later, so ordering by created_at always puts the answer after its question.
  insert into public.chat_messages (user_id, role, content, sources, created_at)
  values (v_uid, 'assistant', p_answer, p_sources, v_question.created_at + interval '1 microsecond')
  returning * into v_answer;

  return jsonb_build_object(
    'question', to_jsonb(v_question) - 'user_id',
    'answer', to_jsonb(v_answer) - 'user_id'
  );
end
$$;

comment on function public.save_chat_exchange(text, text, jsonb) is
  'Stores a chat question and its answer (with sources) for the caller, atomically; returns {question, answer} rows. Used by the chat Edge Function through the caller''s RLS client.';

revoke execute on function public.save_chat_exchange(text, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.save_chat_exchange(text, text, jsonb) to authenticated;
