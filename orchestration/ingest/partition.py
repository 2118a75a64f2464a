"""Stages 3 and 4 of ingestion (scratch.py): one day's rows of the raw tables, built in scratch
tables from the run's flattened spans, then written over the day in one transaction.

`replace_day` reads `RUN_SPANS` (the flattened spans of the files that can hold the day's data),
`TRACE_CONVERSATIONS` (every indexed trace's conversation and partition day), `PII_FINDINGS`,
`PII_ORIGINALS`, the span row views of those files (`flatten.span_rows`) and their line-level
quarantine records. `_build_day` turns them into the `DAY_*` tables, one per raw table (and the
steps between); `_replace` writes those over the day. Each raw table's columns are its
declaration's (orchestration/raw_tables.py).
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
from orchestration.ingest.scratch import (
    DAY_CONVERSATIONS,
    DAY_EVENTS,
    DAY_LLM_SPANS,
    DAY_MESSAGES,
    DAY_QUARANTINE,
    DAY_REDACTIONS,
    DAY_SPANS,
    DAY_TRACES,
    DAY_TURNS,
    PII_FINDINGS,
    PII_ORIGINALS,
    RUN_SPANS,
    TRACE_CONVERSATIONS,
    create,
    scalar,
)
from orchestration.ingest.transcripts import turns_sql
from orchestration.raw_tables import RAW_TABLES
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
# The files' line-level quarantine records, registered while `DAY_QUARANTINE` is built.
_LINE_QUARANTINE = "_line_quarantine"

# Good spans of the day's conversations, each (trace id, span id) once: the first copy by file and
# line. Copies are rare, so only the ids seen twice are ranked, not every span by a window.
_DAY_SPANS_SQL = f"""
with candidates as (
    select run_span.*, trace_conversation.conversation_id
    from {RUN_SPANS} as run_span join {TRACE_CONVERSATIONS} as trace_conversation using (trace_id)
    where run_span.problem is null and trace_conversation.partition_date = $day
),
copies as (
    select trace_id, span_id, min((source_file, source_line, span_key)) as first_copy
    from candidates group by trace_id, span_id having count(*) > 1
)
select candidates.* from candidates left join copies using (trace_id, span_id)
where copies.first_copy is null
    or (candidates.source_file, candidates.source_line, candidates.span_key) = copies.first_copy
"""

_CANDIDATE_SPANS_SQL = f"""
select count(*) from {RUN_SPANS} as run_span join {TRACE_CONVERSATIONS} as trace_conversation using (trace_id)
where run_span.problem is null and trace_conversation.partition_date = $day
"""

_DAY_TRACES_SQL = f"select trace_id from {TRACE_CONVERSATIONS} where partition_date = $day"

# A quarantined line or span is reported on its conversation's day when its trace has one, else on
# the day its file is filed under.
_QUARANTINE_SQL = f"""
with quarantined as (
    select source_file, source_line as line_number, problem as reason, raw_text, trace_id, span_id
    from {RUN_SPANS} where problem is not null
    union all
    select source_file, line_number, reason, raw_text, lower(trace_id), lower(span_id) from {_LINE_QUARANTINE}
)
select quarantined.source_file, quarantined.line_number, quarantined.reason, quarantined.raw_text,
    quarantined.trace_id, quarantined.span_id
from quarantined
left join {TRACE_CONVERSATIONS} as trace_conversation using (trace_id)
join {RAW_SCHEMA}.landing_files as landing_file on landing_file.path = quarantined.source_file
where coalesce(trace_conversation.partition_date, landing_file.home_day) = $day
"""

_LLM_SPANS_SQL = f"select span_key from {DAY_SPANS} where kind = '{LLM_KIND}'"


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
        f"coalesce(conversations.{column}, {sql_case_map('conversations.consent', consent)}::boolean) as {column}"
        for column in CONSENT_ATTRIBUTES
    )
    return f"""
with conversations as (
    select conversation_id,
        {attributes},
        min(start_time) as started_at, max(end_time) as ended_at, count(*)::integer as span_count,
        list(distinct trace_id order by trace_id) as trace_ids,
        list(distinct source_file order by source_file) as source_files
    from {DAY_SPANS} where not is_csat group by conversation_id
)
select conversations.conversation_id, conversations.journey_id, conversations.customer_id,
    conversations.journey_name, conversations.stage, conversations.channel, conversations.agent_type,
    conversations.segment, conversations.consent, conversations.started_at, conversations.ended_at,
    conversations.outcome, coalesce(day_turns.turns, []) as turns, coalesce(day_turns.turn_count, 0) as turn_count,
    conversations.span_count, conversations.trace_ids, conversations.source_files, {stated},
    true as transcript_kept
from conversations left join {DAY_TURNS} as day_turns using (conversation_id)
-- A trace with neither journey attributes nor a single turn (a tool service's spans, the
-- platform's own evaluation events) is not a conversation; its spans stay in raw.spans.
where coalesce(day_turns.turn_count, 0) > 0
    or coalesce(conversations.journey_id, conversations.customer_id, conversations.journey_name,
        conversations.stage) is not null
"""


_EVENTS_SQL = f"""
select trace_id || ':' || span_id as event_id, 'csat' as event_type, journey_id, customer_id, journey_name,
    csat_score, start_time as recorded_at, source_file
from {DAY_SPANS} where is_csat
"""

# Distinct values redacted per conversation and type (redact.py records them per span).
_REDACTIONS_SQL = f"""
select day_span.conversation_id, finding.pii_type, count(distinct finding.value_hash)::integer as redacted_count
from {PII_FINDINGS} as finding join {DAY_SPANS} as day_span using (span_key)
where day_span.conversation_id is not null
group by day_span.conversation_id, finding.pii_type
"""

# The columns of `DAY_SPANS` that raw.spans keeps as they are; the rest of its payload (attribute
# JSON) comes from the decoded rows as it is written, never held in a scratch table.
_DAY_SPAN_COLUMNS = (
    "span_key",
    "trace_id",
    "span_id",
    "parent_span_id",
    "conversation_id",
    "kind",
    "start_time",
    "end_time",
    "source_file",
    "source_line",
)

# What each raw table gets, in this order: a select whose columns are named as the table's.
_WRITES: dict[str, str] = {
    "spans": f"""
        select payload.*, originals.attributes_raw, originals.events_raw
        from ({payload_sql(DAY_SPANS.name, _DAY_SPAN_COLUMNS)}) as payload
        -- originals exist only with JOURNEYS_KEEP_RAW_PII (load.py), for the spans redaction changed
        left join {PII_ORIGINALS} as originals using (span_key)""",
    "conversations": f"select * from {DAY_CONVERSATIONS}",
    "journey_events": f"select * from {DAY_EVENTS}",
    "ingest_quarantine": f"select * from {DAY_QUARANTINE}",
    "pii_redactions": f"select * from {DAY_REDACTIONS}",
    # Last: it reads the day's conversations as just written (same transaction); the select is
    # consent.consent_sql, with the configured default.
    "customer_consent": "",
}
# The column each table stamps with the write's time (the partition column gets the day).
_LOAD_TIME_COLUMN = {"ingest_quarantine": "quarantined_at"}


def _load_time_column(table: str) -> str:
    return _LOAD_TIME_COLUMN.get(table, "ingested_at")


def _written_columns(table: str) -> list[str]:
    """The columns of raw.`table` a write fills from its select: all but the partition day and the
    load time, as raw_tables.py declares them (a column the select lacks fails the write)."""
    declared = RAW_TABLES[table]
    stamped = (declared.partition_column, _load_time_column(table))
    return [column for column in declared.schema.names if column not in stamped]


# Rows of *other* days that belong to this day now (see `replace_day`): each trace's rows live on its
# conversation's day only, so a row of one of the day's traces (`DAY_TRACES`) elsewhere is a stale
# copy, as is a conversation row elsewhere under one of the day's conversation ids or built from one
# of its traces, and a quarantine row the day now reports (same file, line and ids). `elsewhere` is
# the raw table's row.
_DISPLACED: dict[str, str] = {
    "spans": f"elsewhere.trace_id in (select trace_id from {DAY_TRACES})",
    "conversations": f"""elsewhere.conversation_id in (select conversation_id from {DAY_CONVERSATIONS})
        or elsewhere.conversation_id in (
            select conversation.conversation_id
            from {RAW_SCHEMA}.conversations as conversation, unnest(conversation.trace_ids) as unnested(trace_id)
            where conversation.partition_date <> $day and unnested.trace_id in (select trace_id from {DAY_TRACES}))""",
    "journey_events": f"split_part(elsewhere.event_id, ':', 1) in (select trace_id from {DAY_TRACES})",
    "pii_redactions": f"elsewhere.conversation_id in (select conversation_id from {DAY_SPANS})",
    "customer_consent": f"elsewhere.conversation_id in (select conversation_id from {DAY_CONVERSATIONS})",
    "ingest_quarantine": f"""elsewhere.trace_id in (select trace_id from {DAY_TRACES})
        or exists (
            select 1 from {DAY_QUARANTINE} as day_quarantine
            where day_quarantine.source_file = elsewhere.source_file
                and day_quarantine.line_number is not distinct from elsewhere.line_number
                and day_quarantine.trace_id is not distinct from elsewhere.trace_id
                and day_quarantine.span_id is not distinct from elsewhere.span_id)""",
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

    Reads `RUN_SPANS`, `TRACE_CONVERSATIONS`, `PII_FINDINGS`, `PII_ORIGINALS`, `tables` (the files'
    span rows) and `line_quarantine`; writes the `DAY_*` tables (`_build_day`), then the raw
    tables (`_replace`).

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
    with span_rows(con, tables):
        duplicates = _build_day(con, day, line_quarantine)
        displaced = _write(con, day, consent_default)
    return duplicates, displaced


def _build_day(con: duckdb.DuckDBPyConnection, day: date, line_quarantine: list[QuarantineRecord]) -> int:
    """Build the day's scratch tables; returns the number of duplicate spans skipped.

    Reads `RUN_SPANS`, `TRACE_CONVERSATIONS`, `PII_FINDINGS`, the span row views and
    `line_quarantine`; writes, in this order, `DAY_SPANS`, `DAY_TRACES`, `DAY_QUARANTINE`,
    `DAY_LLM_SPANS`, `DAY_MESSAGES`, `DAY_TURNS`, `DAY_CONVERSATIONS`, `DAY_EVENTS` and
    `DAY_REDACTIONS`."""
    on_day = {"day": day}
    create(con, DAY_SPANS, _DAY_SPANS_SQL, on_day)
    create(con, DAY_TRACES, _DAY_TRACES_SQL, on_day)
    records = pa.Table.from_pylist([asdict(r) for r in line_quarantine], schema=LINE_QUARANTINE_SCHEMA)
    con.register(_LINE_QUARANTINE, records)
    try:
        create(con, DAY_QUARANTINE, _QUARANTINE_SQL, on_day)
    finally:
        con.unregister(_LINE_QUARANTINE)
    create(con, DAY_LLM_SPANS, _LLM_SPANS_SQL)
    create(con, DAY_MESSAGES, messages_sql(DAY_LLM_SPANS.name))
    create(con, DAY_TURNS, turns_sql(DAY_SPANS.name, DAY_MESSAGES.name))
    create(con, DAY_CONVERSATIONS, _conversations_sql())
    create(con, DAY_EVENTS, _EVENTS_SQL)
    create(con, DAY_REDACTIONS, _REDACTIONS_SQL)
    return scalar(con, _CANDIDATE_SPANS_SQL, on_day) - scalar(con, f"select count(*) from {DAY_SPANS}")


def _write(con: duckdb.DuckDBPyConnection, day: date, consent_default: bool) -> list[date]:
    now = datetime.now(UTC).replace(tzinfo=None)
    with _zstd_compression(con):
        return _replace(con, day, now, consent_default)


@contextmanager
def _zstd_compression(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Compress what this write stores with zstd. The attribute JSON is most of the day's bytes,
    and DuckDB's automatic choice for it tries every string compression on each segment, which
    is slower and stores more than zstd (docs/benchmarks.md has the figures). The setting is
    database-wide in DuckDB, so it is put back as it was."""
    previous = scalar(con, "select current_setting('force_compression')")
    con.execute("set force_compression = 'zstd'")
    try:
        yield
    finally:
        con.execute("set force_compression = $previous", {"previous": previous})


def _replace(con: duckdb.DuckDBPyConnection, day: date, now: datetime, consent_default: bool) -> list[date]:
    """The transaction: move this day's rows away from other days, replace the day; returns the
    other days rows were moved from, and those whose effective consent the day changes. Reads the
    `DAY_*` tables and `PII_ORIGINALS`; writes the raw tables of `_WRITES`."""
    displaced: set[date] = set()
    con.execute("begin transaction")
    try:
        for table, select in _WRITES.items():
            if table == "customer_consent":
                select = consent_sql("conversation.partition_date = $day", consent_default)
            elsewhere = (
                f"from {RAW_SCHEMA}.{table} as elsewhere where elsewhere.partition_date <> $day and ({_DISPLACED[table]})"
            )
            days = con.execute(f"select distinct elsewhere.partition_date {elsewhere}", {"day": day}).fetchall()
            if days:
                displaced.update(moved for (moved,) in days)
                con.execute(f"delete {elsewhere}", {"day": day})
            con.execute(f"delete from {RAW_SCHEMA}.{table} where partition_date = ?", [day])
            columns = ", ".join(_written_columns(table))
            con.execute(
                f"insert into {RAW_SCHEMA}.{table} ({columns}, partition_date, {_load_time_column(table)}) "
                f"select {columns}, $day, $now from ({select}) as day_rows",
                {"day": day, "now": now},
            )
        displaced.update(customer_consent_changes(con, day, consent_default))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return sorted(displaced)
