"""One day's rows of the raw tables, built in scratch tables from the flattened spans.

Inputs: `_spans` (the flattened spans of the files that can hold the day's data),
`_trace_conversations` (every indexed trace's conversation and partition day), the flat span
tables of those files (decode.py), and their line-level quarantine records. Scratch tables
`_day_spans`, `_day_conversations`, `_day_events` and `_day_quarantine` hold the day's rows until
they replace the day in the raw tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from orchestration.ingest.consent import consent_sql, customer_consent_changes
from orchestration.ingest.conventions import (
    ALLOWED_VALUES,
    CONSENT_ATTRIBUTES,
    JOURNEY_ATTRIBUTES,
    LLM_KIND,
    sql_case_map,
)
from orchestration.ingest.decode import SpanTables
from orchestration.ingest.flatten import messages_sql, payload_sql, span_rows
from orchestration.ingest.quarantine import QuarantineRecord
from orchestration.ingest.scratch import scalar
from orchestration.ingest.transcripts import turns_sql
from orchestration.warehouse import RAW_SCHEMA

LINE_QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("line_number", pa.int32()),
        ("reason", pa.string()),
        ("raw_text", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
    ]
)

# Spans of the day's conversations, each (trace id, span id) once: the first copy by file and line.
# Copies are rare, so only the ids seen twice are ranked (a window over every span cost 0.35 s of
# a 200,000-span day).
_DAY_SPANS_SQL = """
create or replace temp table _day_spans as
with candidates as (
    select s.*, t.conversation_id
    from _spans s join _trace_conversations t using (trace_id)
    where s.problem is null and t.partition_date = $day
),
copies as (
    select trace_id, span_id, min((source_file, source_line, span_key)) as first_copy
    from candidates group by trace_id, span_id having count(*) > 1
)
select c.* from candidates c left join copies d using (trace_id, span_id)
where d.first_copy is null or (c.source_file, c.source_line, c.span_key) = d.first_copy
"""

_CANDIDATE_SPANS_SQL = """
select count(*) from _spans s join _trace_conversations t using (trace_id)
where s.problem is null and t.partition_date = $day
"""


def _conversations_sql() -> str:
    # Journey attributes apply to the whole conversation: the root span's value wins, then the
    # earliest span's (a span's own value already won over its resource's in flatten.py).
    lowered = {column for column, keys in JOURNEY_ATTRIBUTES.items() if set(keys) & set(ALLOWED_VALUES)}
    attributes = ",\n    ".join(
        f"{'lower(' if column in lowered else '('}arg_min({column}, (parent_span_id is not null, start_ns, span_key))"
        f" filter (where {column} is not null)) as {column}"
        for column in [*JOURNEY_ATTRIBUTES, *CONSENT_ATTRIBUTES]
    )
    # What the conversation itself states; `customer.consent` sets both, the booleans win over it.
    consent = {"granted": "true", "denied": "false", "withdrawn": "false"}
    stated = ", ".join(
        f"coalesce(c.{column}, {sql_case_map('c.consent', consent)}::boolean) as {column}"
        for column in CONSENT_ATTRIBUTES
    )
    return f"""
create or replace temp table _day_conversations as
with conversations as (
    select conversation_id,
        {attributes},
        min(start_time) as started_at, max(end_time) as ended_at, count(*)::integer as span_count,
        list(distinct trace_id order by trace_id) as trace_ids,
        list(distinct source_file order by source_file) as source_files
    from _day_spans where not is_csat group by conversation_id
)
select c.conversation_id, c.journey_id, c.customer_id, c.journey_name, c.stage, c.channel, c.agent_type,
    c.segment, c.consent, c.started_at, c.ended_at, c.outcome,
    coalesce(t.turns, []) as turns, coalesce(t.turn_count, 0) as turn_count,
    c.span_count, c.trace_ids, c.source_files, {stated}, true as transcript_kept
from conversations c left join _day_turns t using (conversation_id)
-- A trace with neither journey attributes nor a single turn (a tool service's spans, the
-- platform's own evaluation events) is not a conversation; its spans stay in raw.spans.
where coalesce(t.turn_count, 0) > 0 or coalesce(c.journey_id, c.customer_id, c.journey_name, c.stage) is not null
"""


# Distinct values redacted per conversation and type (redact.py records them per span).
_REDACTIONS_SQL = """
create or replace temp table _day_redactions as
select d.conversation_id, f.pii_type, count(distinct f.value_hash)::integer as redacted_count
from _pii_findings f join _day_spans d using (span_key)
where d.conversation_id is not null
group by all
"""

_EVENTS_SQL = """
create or replace temp table _day_events as
select trace_id || ':' || span_id as event_id, 'csat' as event_type, journey_id, customer_id, journey_name,
    csat_score, start_time as recorded_at, source_file
from _day_spans where is_csat
"""

# A quarantined line or span is reported on its conversation's day when its trace has one, else on
# the day its file is filed under.
_QUARANTINE_SQL = """
create or replace temp table _day_quarantine as
with rows as (
    select source_file, source_line as line_number, problem as reason, raw_text, trace_id, span_id
    from _spans where problem is not null
    union all
    select source_file, line_number, reason, raw_text, lower(trace_id), lower(span_id) from _line_quarantine
)
select q.source_file, q.line_number, q.reason, q.raw_text, q.trace_id, q.span_id
from rows q
left join _trace_conversations t using (trace_id)
join raw.landing_files f on f.path = q.source_file
where coalesce(t.partition_date, f.home_day) = $day
"""


# What each raw table gets from the `_day_*` scratch tables; the spans' payload (attribute JSON) is
# computed as it is written, never held in a scratch table.
_WRITES: dict[str, str] = {
    "spans": f"""
        select trace_id, span_id, parent_span_id, conversation_id, name, kind, otel_kind, start_time, end_time,
            status_code, status_message, scope_name, attributes, resource_attributes, events, source_file, source_line,
            scope_version, scope_attributes, links, trace_state, flags
        from ({payload_sql("_day_spans", "d.trace_id, d.span_id, d.parent_span_id, d.conversation_id, d.kind, d.start_time, d.end_time, d.source_file, d.source_line")})""",
    "conversations": "select * from _day_conversations",
    "journey_events": "select * from _day_events",
    "ingest_quarantine": "select * from _day_quarantine",
    "pii_redactions": "select * from _day_redactions",
    # Last: it reads the day's conversations as just written (same transaction); the select is
    # consent.consent_sql, with the configured default.
    "customer_consent": "",
}
_COLUMNS: dict[str, str] = {
    "spans": "trace_id, span_id, parent_span_id, conversation_id, name, kind, otel_kind, start_time, end_time,"
    " status_code, status_message, scope_name, attributes, resource_attributes, events, source_file, source_line,"
    " scope_version, scope_attributes, links, trace_state, flags",
    "conversations": "conversation_id, journey_id, customer_id, journey_name, stage, channel, agent_type, segment,"
    " consent, started_at, ended_at, outcome, turns, turn_count, span_count, trace_ids, source_files,"
    f" {', '.join(CONSENT_ATTRIBUTES)}, transcript_kept",
    "journey_events": "event_id, event_type, journey_id, customer_id, journey_name, csat_score, recorded_at, source_file",
    "ingest_quarantine": "source_file, line_number, reason, raw_text, trace_id, span_id",
    "pii_redactions": "conversation_id, pii_type, redacted_count",
    "customer_consent": "conversation_id, customer_id, started_at, ai_evaluation, ai_evaluation_source,"
    " ai_evaluation_stated_in, recording, recording_source, recording_stated_in",
}
_LOAD_TIME_COLUMN = {"ingest_quarantine": "quarantined_at"}

# Rows of *other* days that belong to this day now (see `replace_day`): each trace's rows live on its
# conversation's day only, so a row of one of the day's traces (`_day_traces`) elsewhere is a stale
# copy, as is a conversation row elsewhere under one of the day's conversation ids or built from one
# of its traces, and a quarantine row the day now reports (same file, line and ids).
_DISPLACED: dict[str, str] = {
    "spans": "trace_id in (select trace_id from _day_traces)",
    "conversations": """conversation_id in (select conversation_id from _day_conversations)
        or conversation_id in (
            select c.conversation_id from raw.conversations c, unnest(c.trace_ids) as u(trace_id)
            where c.partition_date <> $day and u.trace_id in (select trace_id from _day_traces))""",
    "journey_events": "split_part(event_id, ':', 1) in (select trace_id from _day_traces)",
    "pii_redactions": "conversation_id in (select conversation_id from _day_spans)",
    "customer_consent": "conversation_id in (select conversation_id from _day_conversations)",
    "ingest_quarantine": """trace_id in (select trace_id from _day_traces)
        or exists (
            select 1 from _day_quarantine d
            where d.source_file = q.source_file and d.line_number is not distinct from q.line_number
                and d.trace_id is not distinct from q.trace_id and d.span_id is not distinct from q.span_id)""",
}


def replace_day(
    con: duckdb.DuckDBPyConnection,
    day: date,
    tables: SpanTables,
    line_quarantine: list[QuarantineRecord],
    consent_default: bool,
) -> tuple[int, list[date]]:
    """Build `day`'s rows and replace the day in raw.spans, raw.conversations, raw.journey_events
    and raw.ingest_quarantine in one transaction (readers see the old day or the new one, never
    half). Returns the number of duplicate spans skipped, and the other days rows were moved from.

    A conversation's day is the date of its earliest span, so it can change after its day was
    ingested: a late file brings an earlier trace of it (it moves to an earlier day), or the file
    with its earliest span goes or changes (it moves later). The day it left still holds its rows.
    The same transaction therefore deletes, on every other day, the rows this day now holds
    (`_DISPLACED`: by trace, conversation id, or quarantine row), and those days are returned so
    the caller names them in `IngestReport.related_days`. Why both:

    - Deleting keeps the raw tables right at every commit: a span is stored once, a conversation
      once, on its one day, whichever day is ingested first; rollups never count a moved
      conversation twice. What it deletes is exactly what re-ingesting the other day would drop
      (no row of these traces or conversations can belong to any day but this one), so every
      partition's raw rows stay what ingesting it now gives, and running either day again changes
      nothing (idempotent; a second run finds nothing to move and names no day).
    - Naming the days is still needed: their materialization (checks, evaluations, marts) was
      built from the rows that left, and a conversation of that day built partly from a moved
      trace (its traces now keyed apart) is deleted here and rebuilt only by re-ingesting that day.
      The related_days sensor re-materializes them; the summary line names them (`also affects`).

    The day's effective consent (consent.py, `consent_default` without a stated decision) is
    written in the same transaction; later days whose effective consent this day changes (a late
    file with an earlier decision) are returned among the other days.
    """
    con.execute(_DAY_SPANS_SQL, {"day": day})
    con.execute(
        "create or replace temp table _day_traces as "
        "select trace_id from _trace_conversations where partition_date = $day",
        {"day": day},
    )
    candidates = scalar(con, _CANDIDATE_SPANS_SQL, {"day": day})
    con.execute(
        f"create or replace temp table _day_llm_spans as select span_key from _day_spans where kind = '{LLM_KIND}'"
    )
    records = pa.Table.from_pylist([asdict(r) for r in line_quarantine], schema=LINE_QUARANTINE_SCHEMA)
    con.register("_line_quarantine", records)
    try:
        con.execute(_QUARANTINE_SQL, {"day": day})
    finally:
        con.unregister("_line_quarantine")
    with span_rows(con, tables):
        con.execute(f"create or replace temp table _day_messages as {messages_sql('_day_llm_spans')}")
        con.execute(f"create or replace temp table _day_turns as {turns_sql('_day_spans', '_day_messages')}")
        con.execute(_conversations_sql())
        con.execute(_EVENTS_SQL)
        con.execute(_REDACTIONS_SQL)
        displaced = _write(con, day, consent_default)
    return candidates - scalar(con, "select count(*) from _day_spans"), displaced


def _write(con: duckdb.DuckDBPyConnection, day: date, consent_default: bool) -> list[date]:
    now = datetime.now(UTC).replace(tzinfo=None)
    with _zstd_compression(con):
        return _replace(con, day, now, consent_default)


@contextmanager
def _zstd_compression(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Compress what this write stores with zstd. The attribute JSON is most of the day's bytes,
    and DuckDB's automatic choice for it tries every string compression on each segment: on a
    simulated day that took 3 times as long as zstd and stored 6 times as many bytes. The setting
    is database-wide in DuckDB, so it is put back as it was."""
    previous = scalar(con, "select current_setting('force_compression')")
    con.execute("set force_compression = 'zstd'")
    try:
        yield
    finally:
        con.execute("set force_compression = $previous", {"previous": previous})


def _replace(con: duckdb.DuckDBPyConnection, day: date, now: datetime, consent_default: bool) -> list[date]:
    """The transaction: move this day's rows away from other days, replace the day; returns the
    other days rows were moved from, and those whose effective consent the day changes."""
    displaced: set[date] = set()
    con.execute("begin transaction")
    try:
        for table, select in _WRITES.items():
            if table == "customer_consent":
                select = consent_sql("c.partition_date = $day", consent_default)
            load_time = _LOAD_TIME_COLUMN.get(table, "ingested_at")
            elsewhere = f"from {RAW_SCHEMA}.{table} q where q.partition_date <> $day and ({_DISPLACED[table]})"
            days = con.execute(f"select distinct q.partition_date {elsewhere}", {"day": day}).fetchall()
            if days:
                displaced.update(d for (d,) in days)
                con.execute(f"delete {elsewhere}", {"day": day})
            con.execute(f"delete from {RAW_SCHEMA}.{table} where partition_date = ?", [day])
            con.execute(
                f"insert into {RAW_SCHEMA}.{table} ({_COLUMNS[table]}, partition_date, {load_time}) "
                f"select *, $day, $now from ({select})",
                {"day": day, "now": now},
            )
        displaced.update(customer_consent_changes(con, day, consent_default))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return sorted(displaced)
