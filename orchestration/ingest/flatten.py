"""Flat span tables -> one row per span, in DuckDB: conventions read, problems named, attributes as JSON.

All of it is vectorised SQL over the Arrow tables `explode.py` makes (registered by `span_rows`),
so no Python runs per span. The cheap pass every newly seen file goes through (`flatten`) and the
expensive ones only the spans of the partition being built need (`payload_sql`, `messages_sql`)
meet again on `span_key`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

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
from orchestration.ingest.explode import SPAN_FIELDS, SpanTables
from orchestration.ingest.quarantine import RAW_TEXT_LIMIT, Reason
from orchestration.ingest.scratch import append

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
-- 946684800000000000 and 4102444800000000000 are 2000-01-01 and 2100-01-01 in Unix nanoseconds.
create or replace temp macro otlp_nanos_time(nanos) as
    case when nanos >= 946684800000000000 and nanos < 4102444800000000000 then make_timestamp(nanos // 1000) end
"""


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in filter(str.strip, _MACROS.split(";")):
        con.execute(statement)


def _col(key: str) -> str:
    return '"a:' + key + '"'


_TEXT_KEYS = (*CONVERSATION_KEYS, *dict.fromkeys(k for ks in JOURNEY_ATTRIBUTES.values() for k in ks))
_PIVOT_KEYS = tuple(
    k for k in convention_keys() + tuple(MIME_TYPE_KEYS.values()) if k not in JSON_MESSAGE_KEYS
)


def _conventions_sql(source: str, owner: str) -> str:
    """The convention attributes in `source` (a flat attribute table), pivoted to one row per
    `owner` (span or resource) and one column per key."""
    columns = ", ".join(
        f"any_value(text) filter (where key = {sql_string(k)}) as {_col(k)}" for k in _PIVOT_KEYS
    )
    return f"""
select {owner}, {columns}
from (select {owner}, key, otlp_text(value) as text from {source} where key in {sql_list(_PIVOT_KEYS)})
group by {owner}
"""


def _faults_sql(keys: str, conventions: str, owner: str) -> str:
    """The owners with an empty or repeated attribute key, an intValue that is not a 64-bit integer
    (any attribute: `keys` holds owner, key and int_value of all), or a convention attribute of the
    wrong type (`conventions`); one row per faulty owner, so usually none."""
    json_keys = sql_list(tuple(JSON_MESSAGE_KEYS))
    return f"""
with typed as (
    select {owner}, key, otlp_value_type(value) as value_type, otlp_text(value) as text,
        coalesce(value.jsonValue, value.stringValue) as json_text
    from {conventions}
),
faults as (
    select distinct {owner}, 'repeated' as fault, null as detail from {keys}
    group by {owner}, key having count(*) > 1 or coalesce(key, '') = ''
    union all
    select distinct {owner}, 'int', null from {keys} where int_value is not null and try_cast(int_value as bigint) is null
    union all
    select {owner}, 'type', key || ' must be a string, not ' || value_type from typed
    where key in {sql_list(_TEXT_KEYS)} and value_type not in ('string', 'int')
    union all
    select {owner}, 'type', key || ' must be a number, not ' || value_type from typed
    where key = {sql_string(CSAT_SCORE_KEY)}
        and (value_type not in ('string', 'int', 'double') or try_cast(text as double) is null)
    union all
    select {owner}, 'type', key || ' is not a JSON array of messages' from typed
    where key in {json_keys}
        and coalesce(case when json_valid(json_text) then json_type(json_text) end, '') <> 'ARRAY'
)
select {owner}, bool_or(fault = 'repeated') as duplicate_keys, bool_or(fault = 'int') as bad_int,
    string_agg(detail, '; ' order by detail) as wrong_types
from faults group by {owner}
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
            then '{Reason.MISSING_ID}: traceId ' || coalesce(to_json(s.traceId)::varchar, 'missing') || ' is not 32 hex digits'
        when s.span_id is null
            then '{Reason.MISSING_ID}: spanId ' || coalesce(to_json(s.spanId)::varchar, 'missing') || ' is not 16 hex digits'
        when s.parent_span_id is null and coalesce(s.parentSpanId, '') not in ('', '{"0" * 16}')
            then '{Reason.MISSING_ID}: parentSpanId ' || to_json(s.parentSpanId)::varchar || ' is not 16 hex digits'
        when s.start_ns is null then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano '
            || coalesce(to_json(s.startTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when s.end_ns is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano '
            || coalesce(to_json(s.endTimeUnixNano)::varchar, 'missing') || ' is not a count of nanoseconds'
        when s.start_time is null
            then '{Reason.INVALID_TIMESTAMP}: startTimeUnixNano ' || s.start_ns || ' is not between 2000 and 2100'
        when s.end_ns < s.start_ns then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano is before startTimeUnixNano'
        when s.end_time is null then '{Reason.INVALID_TIMESTAMP}: endTimeUnixNano ' || s.end_ns || ' is after 2100'
        when s.otel_kind is null then '{Reason.INVALID_VALUE}: kind ' || s.kind || ' is not a SpanKind'
        when s.status_code is null then '{Reason.INVALID_VALUE}: status.code ' || s.status.code || ' is not a StatusCode'
        when sf.duplicate_keys or rf.duplicate_keys then '{Reason.INVALID_VALUE}: an attribute key is empty or repeated'
        when sf.bad_int or rf.bad_int then '{Reason.WRONG_VALUE_TYPE}: an intValue is not a 64-bit integer'
        when coalesce(sf.wrong_types, rf.wrong_types) is not null
            then '{Reason.WRONG_VALUE_TYPE}: ' || concat_ws('; ', sf.wrong_types, rf.wrong_types)
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
    otlp_span = ", ".join(f"{name} := s.{name}" for name in SPAN_FIELDS)
    return f"""
with base as (
    select *,
        otlp_hex_id(traceId, 32) as trace_id,
        otlp_hex_id(spanId, 16) as span_id,
        otlp_hex_id(parentSpanId, 16) as parent_span_id,
        {sql_case_map("coalesce(kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
        {sql_case_map("coalesce(status.code, 0)::varchar", _STATUS_CODES)} as status_code,
        try_cast(startTimeUnixNano as bigint) as start_ns,
        try_cast(endTimeUnixNano as bigint) as end_ns,
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
    case when problem is not null then left(to_json(struct_pack({otlp_span}))::varchar, {RAW_TEXT_LIMIT}) end as raw_text
from base s
left join _span_conventions sp using (span_key)
left join _resource_conventions rp using (resource_key)
left join _span_faults sf using (span_key)
left join _resource_faults rf using (resource_key)
"""


_SCRATCH = {
    "_span_conventions": lambda: _conventions_sql("_span_convention_attributes", "span_key"),
    "_resource_conventions": lambda: _conventions_sql("_resource_convention_attributes", "resource_key"),
    "_span_faults": lambda: _faults_sql("_span_attribute_keys", "_span_convention_attributes", "span_key"),
    "_resource_faults": lambda: _faults_sql(
        "_resource_attribute_keys", "_resource_convention_attributes", "resource_key"
    ),
}


def flatten(con: duckdb.DuckDBPyConnection, tables: SpanTables) -> None:
    """Append one row per span of `tables` to the scratch table `_spans`: ids, times, the
    convention values (conversation key, journey attributes, span kind, CSAT score, turn texts)
    and `problem`, the quarantine reason of a span that cannot be kept."""
    with span_rows(con, tables):
        for name, sql in _SCRATCH.items():
            con.execute(f"create or replace temp table {name} as {sql()}")
        append(con, "_spans", _spans_sql())
        for name in _SCRATCH:
            con.execute(f"drop table {name}")


_CONVENTION_KEYS = pa.array(_PIVOT_KEYS + (CSAT_SCORE_KEY,) + tuple(JSON_MESSAGE_KEYS))
_JSON_MESSAGE_KEYS = pa.array(tuple(JSON_MESSAGE_KEYS))


def _registered(tables: SpanTables) -> dict[str, pa.Table]:
    """The tables SQL reads. The attribute tables are cut down in Arrow first (vectorised, before
    DuckDB converts anything): the conventions' attributes, the chat messages' attributes, and
    only the keys and intValues of all the others (what the fault checks read)."""
    registered = {"_span_rows": tables.spans, "_resource_rows": tables.resources}
    for owner, attributes in (("span", tables.span_attributes), ("resource", tables.resource_attributes)):
        keys = attributes.column("key")
        registered[f"_{owner}_convention_attributes"] = attributes.filter(
            pc.is_in(keys, value_set=_CONVENTION_KEYS)
        )
        registered[f"_{owner}_attribute_keys"] = pa.table(
            {
                f"{owner}_key": attributes.column(f"{owner}_key"),
                "key": keys,
                "int_value": pc.struct_field(attributes.column("value"), "intValue"),
            }
        )
    keys = tables.span_attributes.column("key")
    is_message = pc.is_in(keys, value_set=_JSON_MESSAGE_KEYS)
    for prefix in FLAT_MESSAGE_PREFIXES:
        is_message = pc.or_(is_message, pc.starts_with(keys, pattern=prefix))
    registered["_span_message_attributes"] = tables.span_attributes.filter(is_message)
    return registered


@contextmanager
def span_rows(con: duckdb.DuckDBPyConnection, tables: SpanTables) -> Iterator[None]:
    """Expose flat span tables to SQL: `_span_rows`, `_resource_rows`, and the attribute tables of
    `_registered`."""
    registered = _registered(tables)
    for name, table in registered.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in registered:
            con.unregister(name)


def payload_sql(selected: str) -> str:
    """What `raw.spans` keeps of each span in `selected` (a table with the span key): the parts
    only the partition's spans need, so only they pay for the attribute JSON."""
    return f"""
select r.span_key,
    r.name, {sql_case_map("coalesce(r.kind, 0)::varchar", _SPAN_KINDS)} as otel_kind,
    {sql_case_map("coalesce(r.status.code, 0)::varchar", _STATUS_CODES)} as status_code,
    nullif(r.status.message, '') as status_message, r.scope_name,
    otlp_attributes_json(r.attributes) as attributes,
    res.attributes as resource_attributes,
    case when len(r.events) > 0 then to_json(list_transform(r.events, lambda e: struct_pack(
        name := e.name, time := otlp_nanos_time(try_cast(e.timeUnixNano as bigint)),
        attributes := otlp_attributes_json(e.attributes)::json)))
    end as events
from _span_rows r
semi join {selected} using (span_key)
join (select resource_key, otlp_attributes_json(attributes) as attributes from _resource_rows) res using (resource_key)
"""


def messages_sql(selected: str) -> str:
    """The chat messages of the spans in `selected` (LLM spans with a `span_key`), one row per
    message: traceAI and OpenInference flattened keys, and the GenAI JSON arrays."""
    flat_filter = " or ".join(f"starts_with(key, {sql_string(p)})" for p in FLAT_MESSAGE_PREFIXES)
    json_schema = (
        '[{"role": "VARCHAR", "content": "VARCHAR", "parts": [{"type": "VARCHAR", "content": "VARCHAR"}]}]'
    )
    return f"""
with attrs as (
    select span_key, key, value from _span_message_attributes semi join {selected} using (span_key)
),
flat as (
    select span_key, regexp_extract(key, {sql_string(FLAT_MESSAGE_PATTERN)}, ['direction', 'position', 'field', 'part']) as k,
        otlp_text(value) as text
    from attrs where {flat_filter}
),
flat_messages as (
    select span_key, k.direction, try_cast(k.position as integer) as position,
        max(text) filter (where k.field = 'role') as role,
        coalesce(
            max(text) filter (where k.field = 'content'),
            string_agg(text, '' order by try_cast(k.part as integer)) filter (where k.field like 'contents.%')
        ) as text
    from flat where k.direction <> ''
    group by all
),
json_arrays as (
    select span_key, {sql_case_map("key", JSON_MESSAGE_KEYS)} as direction,
        json_transform(coalesce(value.jsonValue, value.stringValue), '{json_schema}') as messages
    from attrs where key in {sql_list(tuple(JSON_MESSAGE_KEYS))}
),
json_messages as (
    select span_key, direction, generate_subscripts(messages, 1) - 1 as position, unnest(messages) as m
    from json_arrays
)
select span_key, direction, position, role, text from flat_messages
union all
select span_key, direction, position, m.role, coalesce(nullif(array_to_string(
    list_transform(list_filter(m.parts, lambda p: p.type = 'text'), lambda p: p.content), ''), ''), m.content)
from json_messages
"""
