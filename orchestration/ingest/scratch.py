"""The scratch tables one ingestion run hands from stage to stage, each named once, here.

A day goes through ingestion (`load.ingest_partition`) in four stages on one DuckDB connection.
Each stage hands the next temporary tables, listed below in the order the day meets them, each
with the stage that writes it and the stages that read it; every stage names a table by its
constant here, never by a string of its own.

1. **Read** (`load._Run.read`): decoded, redacted landing files -> `RUN_SPANS` (`flatten.flatten`),
   `PII_FINDINGS`, `PII_ORIGINALS`.
2. **Index** (`index.py`): `RUN_SPANS` -> raw.landing_files and raw.landing_traces ->
   `TRACE_CONVERSATIONS`, from which the files that can hold the day follow.
3. **Build the day** (`partition._build_day`): `RUN_SPANS`, `TRACE_CONVERSATIONS`, `PII_FINDINGS`
   and the files' span rows (`SPAN_ROWS` and the other views `flatten.span_rows` registers) ->
   the `DAY_*` tables, the day's rows of each raw table.
4. **Write** (`partition._replace`): the `DAY_*` tables and `PII_ORIGINALS` -> the raw tables, in
   one transaction; `load._count` reads the `DAY_*` tables for the run's report.

`load.ingest_partition` drops every table of `SCRATCH_TABLES` when the run ends. Arrow tables a
function registers only for its own statements (`_new_files` in index.py, say) are named there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class ScratchTable:
    """A table one stage writes and later stages read. `written_by` and `read_by` name functions
    of orchestration/ingest as `module.function`. In SQL text it stands for its name."""

    name: str
    holds: str
    written_by: str
    read_by: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


# 1. Read
RUN_SPANS = ScratchTable(
    "_spans",
    "one row per span of every file the run read: ids, times, convention values, `problem`",
    written_by="flatten.flatten",
    read_by=("index.file_days", "index.record_files", "load._forget_spans", "partition._build_day"),
)
PII_FINDINGS = ScratchTable(
    "_pii_findings",
    "what redaction replaced, per span (redact.FINDINGS_SCHEMA)",
    written_by="load._Run.read",
    read_by=("partition._build_day",),
)
PII_ORIGINALS = ScratchTable(
    "_pii_originals",
    "with JOURNEYS_KEEP_RAW_PII, the originals of the spans redaction changed (redact.ORIGINALS_SCHEMA)",
    written_by="load._Run.read",
    read_by=("partition._replace",),
)
# 2. Index
TRACE_CONVERSATIONS = ScratchTable(
    "_trace_conversations",
    "every indexed trace's conversation and partition day",
    written_by="index.resolve_conversations",
    read_by=("index.files_for_day", "index.days_of_files", "partition._build_day"),
)


# 3. Build the day: every `DAY_*` table is written by `partition._build_day`.
def _day_table(name: str, holds: str, *read_by: str) -> ScratchTable:
    return ScratchTable(name, holds, written_by="partition._build_day", read_by=read_by)


_REPLACE_AND_COUNT = ("partition._replace", "load._count")
DAY_SPANS = _day_table(
    "_day_spans",
    "the good spans of the day's conversations, each (trace id, span id) once",
    "partition._build_day",
    *_REPLACE_AND_COUNT,
)
DAY_TRACES = _day_table("_day_traces", "the trace ids of the day's conversations", "partition._replace")
DAY_QUARANTINE = _day_table("_day_quarantine", "the quarantined spans and lines the day reports", *_REPLACE_AND_COUNT)
DAY_LLM_SPANS = _day_table("_day_llm_spans", "the span keys of the day's LLM spans", "partition._build_day")
DAY_MESSAGES = _day_table(
    "_day_messages", "the chat messages of the day's LLM spans, one row per message", "partition._build_day"
)
DAY_TURNS = _day_table("_day_turns", "each conversation's transcript (transcripts.turns_sql)", "partition._build_day")
DAY_CONVERSATIONS = _day_table("_day_conversations", "the day's raw.conversations rows", *_REPLACE_AND_COUNT)
DAY_EVENTS = _day_table("_day_events", "the day's raw.journey_events rows (CSAT answers)", *_REPLACE_AND_COUNT)
DAY_REDACTIONS = _day_table("_day_redactions", "the day's raw.pii_redactions rows", *_REPLACE_AND_COUNT)

# Dropped when a run ends, so a reused connection does not keep them.
SCRATCH_TABLES: tuple[ScratchTable, ...] = (
    RUN_SPANS,
    PII_FINDINGS,
    PII_ORIGINALS,
    TRACE_CONVERSATIONS,
    DAY_SPANS,
    DAY_TRACES,
    DAY_QUARANTINE,
    DAY_LLM_SPANS,
    DAY_MESSAGES,
    DAY_TURNS,
    DAY_CONVERSATIONS,
    DAY_EVENTS,
    DAY_REDACTIONS,
)


# The decoded files' flat tables (decode.SpanTables), registered by `flatten.span_rows` for the
# statements inside it (flattening a batch of files, building a day) and unregistered after.
def _span_row_view(name: str, holds: str, *read_by: str) -> ScratchTable:
    return ScratchTable(name, f"decode.SpanTables.{holds}", written_by="flatten.span_rows", read_by=read_by)


SPAN_ROWS = _span_row_view(
    "_span_rows", "spans: one row per decoded span", "flatten.flatten", "flatten.payload_sql", "flatten.messages_sql"
)
RESOURCE_ROWS = _span_row_view(
    "_resource_rows", "resources: one row per resource", "flatten.flatten", "flatten.payload_sql"
)
SCOPE_ROWS = _span_row_view("_scope_rows", "scopes: one row per instrumentation scope", "flatten.payload_sql")
SPAN_MESSAGES = _span_row_view(
    "_span_messages", "messages: the flattened chat-message attributes of each span", "flatten.messages_sql"
)
SPAN_ROW_VIEWS: tuple[ScratchTable, ...] = (SPAN_ROWS, RESOURCE_ROWS, SCOPE_ROWS, SPAN_MESSAGES)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
    # fetchall, not fetchone: DuckDB 2 keeps a half-fetched result open, which blocks `register`.
    return con.execute(sql, params or []).fetchall()[0][0]


def exists(con: duckdb.DuckDBPyConnection, table: ScratchTable) -> bool:
    return bool(
        scalar(con, "select count(*) from duckdb_tables() where temporary and table_name = ?", [table.name])
    )


def create(
    con: duckdb.DuckDBPyConnection, table: ScratchTable, select_sql: str, params: dict[str, Any] | None = None
) -> None:
    """(Re)create `table` from the rows of `select_sql`."""
    con.execute(f"create or replace temp table {table} as {select_sql}", params or {})


def append(con: duckdb.DuckDBPyConnection, table: ScratchTable, select_sql: str) -> None:
    """Append the rows of `select_sql` to `table`, creating it from them the first time."""
    if exists(con, table):
        con.execute(f"insert into {table} {select_sql}")
    else:
        con.execute(f"create temp table {table} as {select_sql}")


def drop_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every scratch table of the run (those it never created are skipped)."""
    for table in SCRATCH_TABLES:
        con.execute(f"drop table if exists {table}")
