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
    role = sql_case_map("lower(trim(m.role))", ROLES)
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
    select s.conversation_id, s.span_key, s.start_time, s.end_time,
        case when m.direction = 'input' then m.position else i.n_input + m.position end as position,
        case when m.direction = 'input' then s.start_time else s.end_time end as ts,
        {role} as role, trim(m.text) as text
    from {messages} m join llm_spans s using (span_key) join input_sizes i using (span_key)
),
last_llm as (
    select conversation_id, arg_max(span_key, (end_time, start_time, span_key)) as span_key
    from llm_spans group by conversation_id
),
first_seen as (
    select conversation_id, position, role, text, min(ts) as ts from llm_messages group by all
),
history as (
    select m.conversation_id, m.role, m.text, f.ts, m.position as seq
    from llm_messages m
    join last_llm l using (conversation_id, span_key)
    join first_seen f using (conversation_id, position, role, text)
    where m.role is not null and m.text <> ''
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
    select distinct a.span_key, a.role
    from pair_turns a join pair_turns b
        on a.conversation_id = b.conversation_id and a.role = b.role and a.text = b.text
        and b.start_time <= a.end_time and a.start_time <= b.end_time
        and (b.start_time, b.span_key) < (a.start_time, a.span_key)
),
numbered_pairs as (
    select p.*, row_number() over (partition by conversation_id, role, text order by ts, span_key) as occurrence
    from pair_turns p anti join nested_repeats using (span_key, role)
),
history_counts as (
    select conversation_id, role, text, count(*) as n from history group by all
),
kept_pairs as (
    select p.conversation_id, p.role, p.text, p.ts, p.span_key as seq
    from numbered_pairs p left join history_counts h using (conversation_id, role, text)
    where p.occurrence > coalesce(h.n, 0)
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
