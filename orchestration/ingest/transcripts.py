"""Transcript reconstruction: the conversation's turns, each once, as customer/agent with a time.

Each LLM call repeats the history, so the transcript is the cumulative history of the
conversation's last LLM span plus its output. A message's time is when it first appeared: the
start of the first LLM span whose input holds it at that position, or the end of the span whose
output produced it. Turns of non-LLM agent spans (human agents, LiveKit, agents without LLM
instrumentation) are merged in by time. Never a duplicated turn:

- a non-LLM turn repeated by a nested span (same role and text, overlapping time) counts once;
- the k-th occurrence of a (role, text) among non-LLM turns is dropped when the LLM history
  already holds it k times or more (an agent span wrapping the LLM call repeats its turn).

System, developer and tool messages are dropped; empty texts too.
"""

from __future__ import annotations

from orchestration.ingest.conventions import LLM_KIND, ROLES, TURN_SPAN_KINDS, sql_case_map, sql_list


def turns_sql(spans: str, messages: str) -> str:
    """One row per conversation of `spans` with `turns` (STRUCT(role, text, ts)[] in time order)
    and `turn_count`. `spans` needs span_key, conversation_id, kind, is_csat, start_time,
    end_time, customer_text, agent_text; `messages` span_key, direction, position, role, text."""
    role = sql_case_map("lower(trim(message.role))", ROLES)
    return f"""
with llm_spans as (
    select span_key, conversation_id, start_time, end_time
    from {spans} where kind = '{LLM_KIND}' and not is_csat and span_key in (select span_key from {messages})
),
input_sizes as (
    select span_key, coalesce(max(position) filter (where direction = 'input') + 1, 0) as n_input
    from {messages} group by span_key
),
llm_messages as (
    select llm_spans.conversation_id, llm_spans.span_key, llm_spans.start_time, llm_spans.end_time,
        case when message.direction = 'input' then message.position
            else input_sizes.n_input + message.position end as position,
        case when message.direction = 'input' then llm_spans.start_time else llm_spans.end_time end as ts,
        {role} as role, trim(message.text) as text
    from {messages} as message join llm_spans using (span_key) join input_sizes using (span_key)
),
last_llm as (
    select conversation_id, arg_max(span_key, (end_time, start_time, span_key)) as span_key
    from llm_spans group by conversation_id
),
first_seen as (
    select conversation_id, position, role, text, min(ts) as ts
    from llm_messages group by conversation_id, position, role, text
),
history as (
    select llm_messages.conversation_id, llm_messages.role, llm_messages.text, first_seen.ts,
        llm_messages.position as seq
    from llm_messages
    join last_llm using (conversation_id, span_key)
    join first_seen using (conversation_id, position, role, text)
    where llm_messages.role is not null and llm_messages.text <> ''
),
pair_turns as (
    select conversation_id, span_key, 'customer' as role, trim(customer_text) as text, start_time as ts, start_time, end_time
    from {spans}
    where (kind is null or kind in {sql_list(TURN_SPAN_KINDS)}) and not is_csat and trim(customer_text) <> ''
    union all
    select conversation_id, span_key, 'agent', trim(agent_text), end_time, start_time, end_time
    from {spans}
    where (kind is null or kind in {sql_list(TURN_SPAN_KINDS)}) and not is_csat and trim(agent_text) <> ''
),
nested_repeats as (
    select distinct repeated.span_key, repeated.role
    from pair_turns as repeated join pair_turns as earlier
        on repeated.conversation_id = earlier.conversation_id and repeated.role = earlier.role
        and repeated.text = earlier.text
        and earlier.start_time <= repeated.end_time and repeated.start_time <= earlier.end_time
        and (earlier.start_time, earlier.span_key) < (repeated.start_time, repeated.span_key)
),
numbered_pairs as (
    select pair_turns.*,
        row_number() over (partition by conversation_id, role, text order by ts, span_key) as occurrence
    from pair_turns
    where not exists (
        select 1 from nested_repeats
        where nested_repeats.span_key = pair_turns.span_key and nested_repeats.role = pair_turns.role
    )
),
history_counts as (
    select conversation_id, role, text, count(*) as occurrences from history group by conversation_id, role, text
),
kept_pairs as (
    select numbered_pairs.conversation_id, numbered_pairs.role, numbered_pairs.text, numbered_pairs.ts,
        numbered_pairs.span_key as seq
    from numbered_pairs left join history_counts using (conversation_id, role, text)
    where numbered_pairs.occurrence > coalesce(history_counts.occurrences, 0)
),
turns as (
    select conversation_id, role, text, ts, 0 as source, seq from history
    union all
    select conversation_id, role, text, ts, 1, seq from kept_pairs
)
select conversation_id,
    list(struct_pack(role := role, text := text, ts := ts) order by ts, source, seq) as turns,
    count(*)::integer as turn_count
from turns group by conversation_id
"""
