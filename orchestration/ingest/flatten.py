"""Decoded requests -> spans, in DuckDB: conventions read, problems named, attributes as JSON.

All of it is vectorised SQL over the Arrow tables `decode.py` produces (registered as
`_requests`, each row numbered with a `request_id` unique within the ingestion run), so no Python
runs per span. A span is identified by `span_key`, which packs its request's id with its position
in the request, so the cheap pass that every newly seen file goes through (`flatten`) and the
expensive ones that only the spans of the partition being built need (`payload_sql`,
`messages_sql`) meet again on one integer without keeping the nested data twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from orchestration.ingest.conventions import (
    ALLOWED_VALUES,
    CONVERSATION_KEYS,
    CSAT_JOURNEY_KEY,
    CSAT_RANGE,
    CSAT_SCORE_KEY,
    FLAT_MESSAGE_PATTERN,
    FLAT_MESSAGE_PREFIXES,
    JOURNEY_ATTRIBUTES,
    JSON_MESSAGE_KEYS,
    OPERATION_KINDS,
    OPERATION_NAME_KEY,
    SPAN_KIND_KEYS,
    TURN_PAIRS,
    convention_keys,
    sql_case_map,
    sql_list,
    sql_string,
)
from orchestration.ingest.quarantine import RAW_TEXT_LIMIT, Reason
from orchestration.ingest.scratch import append

NANOS_2000 = 946_684_800 * 10**9
NANOS_2100 = 4_102_444_800 * 10**9
_SPAN_KINDS = {
    "0": "UNSPECIFIED",
    "1": "INTERNAL",
    "2": "SERVER",
    "3": "CLIENT",
    "4": "PRODUCER",
    "5": "CONSUMER",
}
_STATUS_CODES = {"0": "UNSET", "1": "OK", "2": "ERROR"}
# OpenInference says whether input.value/output.value is text or a JSON payload; only text is a turn.
MIME_TYPE_KEYS = {"input.value": "input.mime_type", "output.value": "output.mime_type"}

# AnyValue -> JSON text, and the attribute list -> one JSON object, by string concatenation: it is
# twice as fast as to_json(map(...)) and the result is valid JSON by construction (keys and string
# values go through to_json). Duplicate keys are a quarantine reason, checked separately.
_MACROS = """
create or replace temp macro otlp_scalar_json(v) as case
    when v.stringValue is not null then to_json(v.stringValue)::varchar
    when v.intValue is not null then coalesce(try_cast(v.intValue as bigint)::varchar, 'null')
    when v.doubleValue is not null then
        case when isfinite(v.doubleValue) then to_json(v.doubleValue)::varchar else to_json(v.doubleValue::varchar)::varchar end
    when v.boolValue is not null then v.boolValue::varchar
    when v.bytesValue is not null then to_json(v.bytesValue)::varchar
    else 'null'
end;
create or replace temp macro otlp_value_json(v) as case
    when v.arrayValue is not null
        then '[' || array_to_string(list_transform(v.arrayValue."values", lambda x: otlp_scalar_json(x)), ',') || ']'
    when v.kvlistValue is not null then '{' || array_to_string(list_transform(v.kvlistValue."values",
        lambda kv: to_json(kv.key)::varchar || ':' || otlp_scalar_json(kv.value)), ',') || '}'
    when v.jsonValue is not null then v.jsonValue
    else otlp_scalar_json(v)
end;
create or replace temp macro otlp_attributes_json(attrs) as
    '{' || array_to_string(list_transform(attrs, lambda a: to_json(a.key)::varchar || ':' || otlp_value_json(a.value)), ',') || '}';
create or replace temp macro otlp_value_type(v) as case
    when v.stringValue is not null then 'string'
    when v.intValue is not null then case when try_cast(v.intValue as bigint) is null then 'bad int' else 'int' end
    when v.doubleValue is not null then 'double'
    when v.boolValue is not null then 'bool'
    when v.arrayValue is not null then 'array'
    when v.kvlistValue is not null then 'kvlist'
    when v.jsonValue is not null then 'json'
    when v.bytesValue is not null then 'bytes'
    else 'empty'
end;
create or replace temp macro otlp_text(v) as coalesce(v.stringValue, v.intValue, v.doubleValue::varchar, v.boolValue::varchar);
create or replace temp macro otlp_hex_id(id, digits) as
    case when regexp_full_match(lower(id), '[0-9a-f]{' || digits || '}') and lower(id) <> repeat('0', digits)
        then lower(id) end;
create or replace temp macro otlp_nanos_time(nanos) as
    case when nanos >= 946684800000000000 and nanos < 4102444800000000000 then make_timestamp(nanos // 1000) end
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in filter(str.strip, _MACROS.split(";")):
        con.execute(statement)


# One row per span, with its resource and scope; a view over the registered Arrow `_requests`.
# `span_key` packs the request's row id with the span's position in it (21 bits per level), so the
# passes over the same requests can meet on one integer.
_SPAN_ROWS_SQL = """
with resource_spans as (
    select request_id, source_file, source_line,
        generate_subscripts(resourceSpans, 1) as rs_i, unnest(resourceSpans) as rs
    from _requests
),
scope_spans as (
    select source_file, source_line, (request_id::hugeint << 21) | rs_i as resource_key,
        generate_subscripts(rs.scopeSpans, 1) as ss_i, unnest(rs.scopeSpans) as ss
    from resource_spans
)
select source_file, source_line, resource_key,
    (resource_key << 42) | (ss_i::hugeint << 21) | generate_subscripts(ss.spans, 1) as span_key,
    ss.scope.name as scope_name, unnest(ss.spans) as span
from scope_spans
"""
_RESOURCE_ROWS_SQL = """
select (request_id::hugeint << 21) | generate_subscripts(resourceSpans, 1) as resource_key,
    unnest(resourceSpans).resource.attributes as attributes
from _requests
"""


def _col(key: str) -> str:
    return '"a:' + key + '"'


_TEXT_KEYS = (*CONVERSATION_KEYS, *dict.fromkeys(k for ks in JOURNEY_ATTRIBUTES.values() for k in ks))
_PIVOT_KEYS = tuple(
    k for k in convention_keys() + tuple(MIME_TYPE_KEYS.values()) if k not in JSON_MESSAGE_KEYS
)


def _conventions_sql(source: str, key: str, attributes: str) -> str:
    """The convention attributes of each row of `source`, pivoted to one column per key, with the
    keys whose value has the wrong type, and whether any attribute key is repeated or any intValue
    is not an integer (one pass over the unnested attributes answers all of it)."""
    columns = ", ".join(
        f"any_value(text) filter (where key = {sql_string(k)}) as {_col(k)}" for k in _PIVOT_KEYS
    )
    json_keys = sql_list(tuple(JSON_MESSAGE_KEYS))
    return f"""
with long as (
    select {key}, unnest({attributes}) as a from {source}
),
wanted as (
    select {key}, a.key,
        case when a.key in {sql_list(_PIVOT_KEYS + (CSAT_SCORE_KEY,))} then otlp_text(a.value) end as text,
        case when a.key in {sql_list(_TEXT_KEYS + (CSAT_SCORE_KEY,))} then otlp_value_type(a.value) end as value_type,
        case when a.key in {json_keys} then coalesce(
            case when json_valid(coalesce(a.value.jsonValue, a.value.stringValue))
                then json_type(coalesce(a.value.jsonValue, a.value.stringValue)) end, '') <> 'ARRAY' end as bad_json,
        a.value.intValue is not null and try_cast(a.value.intValue as bigint) is null as bad_int
    from long
)
select {key}, {columns},
    count(*) <> count(distinct nullif(key, '')) as duplicate_keys,
    bool_or(bad_int) as bad_int,
    string_agg(distinct key || ' must be a string, not ' || value_type, '; ') filter (
        where key in {sql_list(_TEXT_KEYS)} and value_type not in ('string', 'int')) as wrong_types,
    string_agg(distinct key || ' must be a number, not ' || value_type, '; ') filter (
        where key = {sql_string(CSAT_SCORE_KEY)}
            and (value_type not in ('string', 'int', 'double') or try_cast(text as double) is null)) as csat_wrong,
    string_agg(distinct key, ', ') filter (where bad_json) as bad_message_json
from wanted group by {key}
"""


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
        when s.trace_id is null
            then '{Reason.MISSING_ID}: traceId ' || coalesce(to_json(s.span.traceId)::varchar, 'missing') || ' is not 32 hex digits'
        when s.span_id is null
            then '{Reason.MISSING_ID}: spanId ' || coalesce(to_json(s.span.spanId)::varchar, 'missing') || ' is not 16 hex digits'
        when s.parent_span_id is null and coalesce(s.span.parentSpanId, '') not in ('', '{"0" * 16}')
            then '{Reason.MISSING_ID}: parentSpanId ' || to_json(s.span.parentSpanId)::varchar || ' is not 16 hex digits'
        when s.start_ns is null then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano '
            || coalesce(to_json(s.span.startTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when s.end_ns is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano '
            || coalesce(to_json(s.span.endTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when s.start_time is null
            then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano ' || s.start_ns || ' is not between 2000 and 2100'
        when s.end_ns < s.start_ns then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano is before startTimeUnixNano'
        when s.end_time is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano ' || s.end_ns || ' is after 2100'
        when s.otel_kind is null then '{Reason.INVALID_VALUE}: kind ' || s.span.kind || ' is not a SpanKind'
        when s.status_code is null then '{Reason.INVALID_VALUE}: status.code ' || s.span.status.code || ' is not a StatusCode'
        when sp.duplicate_keys or rp.duplicate_keys then '{Reason.INVALID_VALUE}: an attribute key is empty or repeated'
        when sp.bad_int or rp.bad_int then '{Reason.WRONG_VALUE_TYPE}: an intValue is not a 64-bit integer'
        when coalesce(sp.wrong_types, rp.wrong_types) is not null
            then '{Reason.WRONG_VALUE_TYPE}: ' || concat_ws('; ', sp.wrong_types, rp.wrong_types)
        when coalesce(sp.csat_wrong, rp.csat_wrong) is not null
            then '{Reason.WRONG_VALUE_TYPE}: ' || coalesce(sp.csat_wrong, rp.csat_wrong)
        when sp.bad_message_json is not null
            then '{Reason.WRONG_VALUE_TYPE}: ' || sp.bad_message_json || ' is not a JSON array of messages'
        when {csat} is not null and ({csat} <> floor({csat}) or {csat} not between {low} and {high})
            then '{Reason.INVALID_VALUE}: {CSAT_SCORE_KEY} ' || {_value(CSAT_SCORE_KEY)} || ' is not an integer from {low} to {high}'
        {allowed}
    end"""


def _value(key: str) -> str:
    """A convention attribute of the span, else of its resource."""
    return f"coalesce(sp.{_col(key)}, rp.{_col(key)})"


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
    operation_kind = sql_case_map(f"lower({_value(OPERATION_NAME_KEY)})", OPERATION_KINDS)
    csat = f"try_cast({_value(CSAT_SCORE_KEY)} as double)"
    return f"""
with base as (
    select source_file, source_line, span_key, resource_key, span,
        otlp_hex_id(span.traceId, 32) as trace_id,
        otlp_hex_id(span.spanId, 16) as span_id,
        otlp_hex_id(span.parentSpanId, 16) as parent_span_id,
        {sql_case_map("coalesce(span.kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
        {sql_case_map("coalesce(span.status.code, 0)::varchar", _STATUS_CODES)} as status_code,
        try_cast(span.startTimeUnixNano as bigint) as start_ns,
        try_cast(span.endTimeUnixNano as bigint) as end_ns,
        otlp_nanos_time(start_ns) as start_time,
        otlp_nanos_time(end_ns) as end_time
    from _span_rows
)
select
    s.source_file, s.source_line, s.span_key,
    s.trace_id, s.span_id, s.parent_span_id, s.start_ns, s.start_time, s.end_time,
    coalesce({_first(CONVERSATION_KEYS)}, s.trace_id) as conversation_key,
    case {key_rank} else {len(CONVERSATION_KEYS) + 1} end as key_rank,
    {journey},
    coalesce(upper({_first(SPAN_KIND_KEYS)}), {operation_kind}) as kind,
    try_cast({csat} as integer) as csat_score,
    ({csat} is not null and {_value(CSAT_JOURNEY_KEY)} is not null) as is_csat,
    coalesce({", ".join(_pair_text(c) for c, _ in TURN_PAIRS)}) as customer_text,
    coalesce({", ".join(_pair_text(a) for _, a in TURN_PAIRS)}) as agent_text,
    {_problem_sql()} as problem,
    case when problem is not null then left(to_json(s.span)::varchar, {RAW_TEXT_LIMIT}) end as raw_text
from base s
left join _span_conventions sp using (span_key)
left join _resource_conventions rp using (resource_key)
"""


def flatten(con: duckdb.DuckDBPyConnection, requests: pa.Table) -> None:
    """Append one row per span of `requests` to the scratch table `_spans`: ids, times, the
    convention values (conversation key, journey attributes, span kind, CSAT score, turn texts)
    and `problem`, the quarantine reason of a span that cannot be kept."""
    with span_rows(con, requests):
        con.execute(
            "create or replace temp table _span_conventions as "
            + _conventions_sql("_span_rows", "span_key", "span.attributes")
        )
        con.execute(
            "create or replace temp table _resource_conventions as "
            + _conventions_sql("_resource_rows", "resource_key", "attributes")
        )
        append(con, "_spans", _spans_sql())
        con.execute("drop table _span_conventions")
        con.execute("drop table _resource_conventions")


def number_requests(requests: pa.Table, first_id: int) -> pa.Table:
    """Give each request row the id its spans' `span_key`s are built from."""
    ids = pa.array(range(first_id, first_id + requests.num_rows), pa.int64())
    return requests.append_column("request_id", ids)


@contextmanager
def span_rows(con: duckdb.DuckDBPyConnection, requests: pa.Table) -> Iterator[None]:
    """Expose numbered requests to SQL as the views `_span_rows` and `_resource_rows`."""
    con.register("_requests", requests)
    con.execute(f"create or replace temp view _span_rows as {_SPAN_ROWS_SQL}")
    con.execute(f"create or replace temp view _resource_rows as {_RESOURCE_ROWS_SQL}")
    try:
        yield
    finally:
        con.execute("drop view if exists _span_rows")
        con.execute("drop view if exists _resource_rows")
        con.unregister("_requests")


def payload_sql(selected: str) -> str:
    """What `raw.spans` keeps of each span in `selected` (a table with the span key): the parts
    only the partition's spans need, so only they pay for the attribute JSON."""
    return f"""
select r.span_key,
    r.span.name as name, {sql_case_map("coalesce(r.span.kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
    {sql_case_map("coalesce(r.span.status.code, 0)::varchar", _STATUS_CODES)} as status_code,
    nullif(r.span.status.message, '') as status_message, r.scope_name,
    otlp_attributes_json(r.span.attributes) as attributes,
    otlp_attributes_json(res.attributes) as resource_attributes,
    case when len(r.span.events) > 0 then to_json(list_transform(r.span.events, lambda e: struct_pack(
        name := e.name, time := otlp_nanos_time(try_cast(e.timeUnixNano as bigint)),
        attributes := otlp_attributes_json(e.attributes)::json)))
    end as events
from _span_rows r semi join {selected} using (span_key) join _resource_rows res using (resource_key)
"""


def messages_sql(selected: str) -> str:
    """The chat messages of the spans in `selected` (LLM spans with a `span_row`), one row per
    message: traceAI and OpenInference flattened keys, and the GenAI JSON arrays."""
    flat_filter = " or ".join(f"starts_with(a.key, {sql_string(p)})" for p in FLAT_MESSAGE_PREFIXES)
    json_schema = (
        '[{"role": "VARCHAR", "content": "VARCHAR", "parts": [{"type": "VARCHAR", "content": "VARCHAR"}]}]'
    )
    return f"""
with attrs as (
    select s.span_row, unnest(r.span.attributes) as a
    from _span_rows r join {selected} s using (span_key)
),
flat as (
    select span_row, regexp_extract(a.key, {sql_string(FLAT_MESSAGE_PATTERN)}, ['direction', 'position', 'field', 'part']) as k,
        otlp_text(a.value) as text
    from attrs where {flat_filter}
),
flat_messages as (
    select span_row, k.direction, try_cast(k.position as integer) as position,
        max(text) filter (where k.field = 'role') as role,
        coalesce(
            max(text) filter (where k.field = 'content'),
            string_agg(text, '' order by try_cast(k.part as integer)) filter (where k.field like 'contents.%')
        ) as text
    from flat where k.direction <> ''
    group by all
),
json_arrays as (
    select span_row, {sql_case_map("a.key", JSON_MESSAGE_KEYS)} as direction,
        json_transform(coalesce(a.value.jsonValue, a.value.stringValue), '{json_schema}') as messages
    from attrs where a.key in {sql_list(tuple(JSON_MESSAGE_KEYS))}
),
json_messages as (
    select span_row, direction, generate_subscripts(messages, 1) - 1 as position, unnest(messages) as m
    from json_arrays
)
select span_row, direction, position, role, text from flat_messages
union all
select span_row, direction, position, m.role, coalesce(nullif(array_to_string(
    list_transform(list_filter(m.parts, lambda p: p.type = 'text'), lambda p: p.content), ''), ''), m.content)
from json_messages
"""
