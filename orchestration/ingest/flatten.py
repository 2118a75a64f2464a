"""Flat span tables -> one row per span, in DuckDB: conventions read, problems named.

All of it is vectorised SQL over the Arrow tables decode.py makes (registered by `span_rows`):
the convention attributes come out of each span's and resource's small `conventions` JSON object,
so no Python runs per span here. The pass every newly seen file goes through (`flatten`) and the
ones only the spans of the partition being built need (`payload_sql`, `messages_sql`) meet again
on `span_key`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from orchestration.ingest.conventions import (
    ALLOWED_VALUES,
    CONSENT_ATTRIBUTES,
    CONVERSATION_KEYS,
    CSAT_JOURNEY_KEY,
    CSAT_RANGE,
    CSAT_SCORE_KEY,
    FLAT_MESSAGE_PATTERN,
    JOURNEY_ATTRIBUTES,
    JSON_MESSAGE_KEYS,
    MIME_TYPE_KEYS,
    OPERATION_KINDS,
    OPERATION_NAME_KEY,
    SPAN_KIND_KEYS,
    TURN_PAIRS,
    convention_keys,
    sql_case_map,
    sql_list,
    sql_string,
)
from orchestration.ingest.decode import SpanTables
from orchestration.ingest.quarantine import RAW_TEXT_LIMIT, Reason
from orchestration.ingest.scratch import (
    RESOURCE_ROWS,
    RUN_SPANS,
    SCOPE_ROWS,
    SPAN_MESSAGES,
    SPAN_ROWS,
    append,
)

_SPAN_KINDS = {
    "0": "UNSPECIFIED",
    "1": "INTERNAL",
    "2": "SERVER",
    "3": "CLIENT",
    "4": "PRODUCER",
    "5": "CONSUMER",
}
_STATUS_CODES = {"0": "UNSET", "1": "OK", "2": "ERROR"}
_MACROS = """
create or replace temp macro otlp_hex_id(id, digits) as
    case when regexp_full_match(lower(id), '[0-9a-f]{' || digits || '}') and lower(id) <> repeat('0', digits)
        then lower(id) end;
-- 946684800000000000 and 4102444800000000000 are 2000-01-01 and 2100-01-01 in Unix nanoseconds.
create or replace temp macro otlp_nanos_time(nanos) as
    case when nanos >= 946684800000000000 and nanos < 4102444800000000000 then make_timestamp(nanos // 1000) end
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in filter(str.strip, _MACROS.split(";")):
        con.execute(statement)


_KEYS = convention_keys()


def _json_path(key: str) -> str:
    return sql_string(f'$."{key}"')


_JSON_PATHS = "[" + ", ".join(_json_path(k) for k in _KEYS) + "]"


def _problem_sql() -> str:
    """The first thing wrong with a span, as a quarantine reason (null when the span is good)."""
    allowed = " ".join(
        f"when lower({_value(key)}) not in {sql_list(values)} then "
        f"'{Reason.INVALID_VALUE}: {key} ' || to_json({_value(key)}) || ' is not one of {', '.join(values)}'"
        for key, values in ALLOWED_VALUES.items()
    )
    low, high = CSAT_RANGE
    csat = f"try_cast({_value(CSAT_SCORE_KEY)} as double)"
    return f"""case
        when base.trace_id is null
            then '{Reason.MISSING_ID}: traceId ' || coalesce(to_json(base.traceId)::varchar, 'missing') || ' is not 32 hex digits'
        when base.span_id is null
            then '{Reason.MISSING_ID}: spanId ' || coalesce(to_json(base.spanId)::varchar, 'missing') || ' is not 16 hex digits'
        when base.parent_span_id is null and coalesce(base.parentSpanId, '') not in ('', '{"0" * 16}')
            then '{Reason.MISSING_ID}: parentSpanId ' || to_json(base.parentSpanId)::varchar || ' is not 16 hex digits'
        when base.start_ns is null then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano '
            || coalesce(to_json(base.startTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when base.end_ns is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano '
            || coalesce(to_json(base.endTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when base.start_time is null
            then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano ' || base.start_ns || ' is not between 2000 and 2100'
        when base.end_ns < base.start_ns then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano is before startTimeUnixNano'
        when base.end_time is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano ' || base.end_ns || ' is after 2100'
        when base.otel_kind is null then '{Reason.INVALID_VALUE}: kind ' || base.kind || ' is not a SpanKind'
        when base.status_code is null then '{Reason.INVALID_VALUE}: status.code ' || base.statusCode || ' is not a StatusCode'
        when base.duplicate_keys or base.resource_duplicate_keys
            then '{Reason.INVALID_VALUE}: an attribute key is empty or repeated'
        when base.bad_int or base.resource_bad_int then '{Reason.WRONG_VALUE_TYPE}: an intValue is not a 64-bit integer'
        when coalesce(base.wrong_types, base.resource_wrong_types) is not null
            then '{Reason.WRONG_VALUE_TYPE}: ' || concat_ws('; ', base.wrong_types, base.resource_wrong_types)
        when {csat} is not null and ({csat} <> floor({csat}) or {csat} not between {low} and {high})
            then '{Reason.INVALID_VALUE}: {CSAT_SCORE_KEY} ' || {_value(CSAT_SCORE_KEY)} || ' is not an integer from {low} to {high}'
        {allowed}
    end"""


def _value(key: str) -> str:
    """A convention attribute of the span, else of its resource, as text (convention_values.py)."""
    i = _KEYS.index(key) + 1
    return f"coalesce(base.span_texts[{i}], base.resource_texts[{i}])"


def _first(keys: tuple[str, ...]) -> str:
    return f"coalesce({', '.join(_value(k) for k in keys)})"


def _pair_text(key: str) -> str:
    if key not in MIME_TYPE_KEYS:
        return _value(key)
    mime = f"coalesce(lower({_value(MIME_TYPE_KEYS[key])}), 'text/plain')"
    return f"case when {mime} like 'text/%' then {_value(key)} end"


def _spans_sql() -> str:
    key_rank = " ".join(f"when {_value(k)} is not null then {i}" for i, k in enumerate(CONVERSATION_KEYS, 1))
    journey = ", ".join(f"{_first(keys)} as {column}" for column, keys in JOURNEY_ATTRIBUTES.items())
    consent = ", ".join(
        f"try_cast(lower(trim({_value(key)})) as boolean) as {column}" for column, key in CONSENT_ATTRIBUTES.items()
    )
    operation_kind = sql_case_map(f"lower({_value(OPERATION_NAME_KEY)})", OPERATION_KINDS)
    csat = f"try_cast({_value(CSAT_SCORE_KEY)} as double)"
    return f"""
with base as (
    select span_row.* exclude (attributes, conventions, events, links),
        resource_row.duplicate_keys as resource_duplicate_keys, resource_row.bad_int as resource_bad_int,
        resource_row.wrong_types as resource_wrong_types,
        otlp_hex_id(traceId, 32) as trace_id,
        otlp_hex_id(spanId, 16) as span_id,
        otlp_hex_id(parentSpanId, 16) as parent_span_id,
        {sql_case_map("coalesce(kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
        {sql_case_map("coalesce(statusCode, 0)::varchar", _STATUS_CODES)} as status_code,
        try_cast(startTimeUnixNano as bigint) as start_ns,
        try_cast(endTimeUnixNano as bigint) as end_ns,
        otlp_nanos_time(start_ns) as start_time,
        otlp_nanos_time(end_ns) as end_time,
        json_extract_string(span_row.conventions, {_JSON_PATHS}) as span_texts,
        json_extract_string(resource_row.conventions, {_JSON_PATHS}) as resource_texts
    from {SPAN_ROWS} as span_row join {RESOURCE_ROWS} as resource_row using (resource_key)
)
select
    base.source_file, base.source_line, base.span_key,
    base.trace_id, base.span_id, base.parent_span_id, base.start_ns, base.start_time, base.end_time,
    coalesce({_first(CONVERSATION_KEYS)}, base.trace_id) as conversation_key,
    case {key_rank} else {len(CONVERSATION_KEYS) + 1} end as key_rank,
    {journey},
    {consent},
    coalesce(upper({_first(SPAN_KIND_KEYS)}), {operation_kind}) as kind,
    try_cast({csat} as integer) as csat_score,
    ({csat} is not null and {_value(CSAT_JOURNEY_KEY)} is not null) as is_csat,
    coalesce({", ".join(_pair_text(c) for c, _ in TURN_PAIRS)}) as customer_text,
    coalesce({", ".join(_pair_text(a) for _, a in TURN_PAIRS)}) as agent_text,
    {_problem_sql()} as problem
from base
"""


# A quarantined span's raw_text: its fields as decoded (attributes as raw.spans keeps them); the
# exact text is at source_file:source_line.
_RAW_TEXT_SQL = f"""
left(json_object(
    'traceId', traceId, 'spanId', spanId, 'parentSpanId', parentSpanId, 'name', name, 'kind', kind,
    'startTimeUnixNano', startTimeUnixNano, 'endTimeUnixNano', endTimeUnixNano,
    'status', json_object('code', statusCode, 'message', statusMessage),
    'attributes', attributes::json, 'events', events::json
)::varchar, {RAW_TEXT_LIMIT}) as raw_text
"""


def flatten(con: duckdb.DuckDBPyConnection, tables: SpanTables) -> None:
    """Append one row per span of `tables` to `RUN_SPANS`: ids, times, the convention values
    (conversation key, journey attributes, span kind, CSAT score, turn texts), `problem`, the
    quarantine reason of a span that cannot be kept, and its `raw_text`.

    Reads the span row views (`span_rows`); writes `RUN_SPANS`."""
    with span_rows(con, tables):
        append(
            con,
            RUN_SPANS,
            f"""
            with flat as materialized ({_spans_sql()}),
            raw_texts as (
                select span_key, {_RAW_TEXT_SQL}
                from {SPAN_ROWS}
                where span_key in (select flat.span_key from flat where flat.problem is not null)
            )
            select * from flat left join raw_texts using (span_key)
            """,
        )


@contextmanager
def span_rows(con: duckdb.DuckDBPyConnection, tables: SpanTables) -> Iterator[None]:
    """Expose flat span tables to SQL, for the statements inside, as `SPAN_ROWS`, `RESOURCE_ROWS`,
    `SCOPE_ROWS` and `SPAN_MESSAGES` (scratch.py)."""
    registered = {
        SPAN_ROWS.name: tables.spans,
        RESOURCE_ROWS.name: tables.resources,
        SCOPE_ROWS.name: tables.scopes,
        SPAN_MESSAGES.name: tables.messages,
    }
    for name, table in registered.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in registered:
            con.unregister(name)


def payload_sql(selected: str, columns: tuple[str, ...]) -> str:
    """`columns` of `selected` (a table with the span key) beside what `raw.spans` keeps of those
    spans from the decoded rows; the attribute, event and link JSON was written once, by
    decode.py (a scope's once for all its spans). Reads the span row views (`span_rows`)."""
    return f"""
select {", ".join(f"selected.{column}" for column in columns)},
    span_row.name, {sql_case_map("coalesce(span_row.kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
    {sql_case_map("coalesce(span_row.statusCode, 0)::varchar", _STATUS_CODES)} as status_code,
    nullif(span_row.statusMessage, '') as status_message, scope_row.name as scope_name,
    span_row.attributes, resource_row.attributes as resource_attributes, span_row.events,
    scope_row.version as scope_version, scope_row.attributes as scope_attributes, span_row.links,
    span_row.traceState as trace_state, span_row.flags
from {selected} as selected
join {SPAN_ROWS} as span_row using (span_key)
join {RESOURCE_ROWS} as resource_row using (resource_key)
join {SCOPE_ROWS} as scope_row using (scope_key)
"""


def messages_sql(selected: str) -> str:
    """The chat messages of the spans in `selected` (LLM spans with a `span_key`), one row per
    message: traceAI and OpenInference flattened keys, and the GenAI JSON arrays. Reads the span
    row views (`span_rows`)."""
    json_schema = (
        '[{"role": "VARCHAR", "content": "VARCHAR", "parts": [{"type": "VARCHAR", "content": "VARCHAR"}]}]'
    )
    json_arrays = " union all ".join(
        f"select span_key, {sql_string(direction)} as direction, "
        f"json_extract_string(conventions, {_json_path(key)}) as messages from llm_rows"
        for key, direction in JSON_MESSAGE_KEYS.items()
    )
    return f"""
with flat as (
    select span_key,
        regexp_extract(key, {sql_string(FLAT_MESSAGE_PATTERN)}, ['direction', 'position', 'field', 'part'])
            as key_parts,
        text
    from {SPAN_MESSAGES} where span_key in (select span_key from {selected})
),
flat_messages as (
    select span_key, key_parts.direction, try_cast(key_parts.position as integer) as position,
        max(text) filter (where key_parts.field = 'role') as role,
        coalesce(
            max(text) filter (where key_parts.field = 'content'),
            string_agg(text, '' order by try_cast(key_parts.part as integer))
                filter (where key_parts.field like 'contents.%')
        ) as text
    from flat where key_parts.direction <> ''
    group by span_key, key_parts.direction, try_cast(key_parts.position as integer)
),
llm_rows as (
    select span_key, conventions from {SPAN_ROWS}
    where span_key in (select span_key from {selected}) and conventions is not null
),
json_arrays as (
    select span_key, direction, json_transform(messages, '{json_schema}') as messages
    from ({json_arrays}) where messages is not null
),
json_messages as (
    select span_key, direction, generate_subscripts(messages, 1) - 1 as position, unnest(messages) as message
    from json_arrays
)
select span_key, direction, position, role, text from flat_messages
union all
select span_key, direction, position, message.role, coalesce(nullif(array_to_string(list_transform(
    list_filter(message.parts, lambda part: part.type = 'text'), lambda part: part.content), ''), ''), message.content)
from json_messages
"""
