"""The DuckDB warehouse: connections and the tables Python writes (dbt owns everything else).

All timestamps are naive `TIMESTAMP`s in UTC. Every Python-written table carries
`partition_date`, the UTC start date of its conversation (or event), so that re-materializing a
daily partition can replace exactly that partition's rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

RAW_SCHEMA = "raw"

TURN_TYPE = "STRUCT(role VARCHAR, text VARCHAR, ts TIMESTAMP)[]"

# Column contracts of the tables the Python side writes. dbt declares them as sources. A column
# added later goes last, nullable: `ensure_raw_tables` adds it to an older warehouse's table, where
# it lands last too, so old and new warehouses have the same columns in the same order.
RAW_TABLES: dict[str, str] = {
    "spans": """
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        conversation_id VARCHAR,
        name VARCHAR,
        kind VARCHAR,
        otel_kind VARCHAR,
        start_time TIMESTAMP,
        end_time TIMESTAMP,
        status_code VARCHAR,
        status_message VARCHAR,
        scope_name VARCHAR,
        attributes JSON,
        resource_attributes JSON,
        events JSON,
        source_file VARCHAR,
        source_line INTEGER,
        partition_date DATE NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        scope_version VARCHAR,
        scope_attributes JSON,
        links JSON,
        trace_state VARCHAR,
        flags BIGINT
    """,
    "conversations": f"""
        conversation_id VARCHAR NOT NULL,
        journey_id VARCHAR,
        customer_id VARCHAR,
        journey_name VARCHAR,
        stage VARCHAR,
        channel VARCHAR,
        agent_type VARCHAR,
        segment VARCHAR,
        consent VARCHAR,
        started_at TIMESTAMP,
        ended_at TIMESTAMP,
        outcome VARCHAR,
        turns {TURN_TYPE},
        turn_count INTEGER,
        span_count INTEGER,
        trace_ids VARCHAR[],
        source_files VARCHAR[],
        partition_date DATE NOT NULL,
        ingested_at TIMESTAMP NOT NULL
    """,
    "journey_events": """
        event_id VARCHAR NOT NULL,
        event_type VARCHAR NOT NULL,
        journey_id VARCHAR,
        customer_id VARCHAR,
        journey_name VARCHAR,
        csat_score INTEGER,
        recorded_at TIMESTAMP,
        source_file VARCHAR,
        partition_date DATE NOT NULL,
        ingested_at TIMESTAMP NOT NULL
    """,
    "ingest_quarantine": """
        source_file VARCHAR,
        line_number INTEGER,
        reason VARCHAR NOT NULL,
        raw_text VARCHAR,
        trace_id VARCHAR,
        span_id VARCHAR,
        partition_date DATE NOT NULL,
        quarantined_at TIMESTAMP NOT NULL
    """,
    "evaluations": """
        conversation_id VARCHAR NOT NULL,
        evaluator VARCHAR NOT NULL,
        score DOUBLE,
        passed BOOLEAN,
        status VARCHAR NOT NULL,
        reason VARCHAR,
        evidence JSON,
        engine VARCHAR,
        rubric_version VARCHAR,
        latency_ms DOUBLE,
        evaluated_at TIMESTAMP NOT NULL,
        partition_date DATE NOT NULL,
        decided_by VARCHAR
    """,
    "journey_map_stages": """
        journey_name VARCHAR NOT NULL,
        journey_display_name VARCHAR,
        journey_map_version VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        stage_order INTEGER NOT NULL,
        stage_count INTEGER NOT NULL,
        min_resolution DOUBLE,
        min_quality DOUBLE,
        min_context_retention DOUBLE,
        min_completion_rate DOUBLE
    """,
    "journey_map_channels": """
        journey_name VARCHAR NOT NULL,
        channel VARCHAR NOT NULL
    """,
    # The landing index (not partitioned): which trace files have been read, and which traces each
    # holds, so that a partition reads only the files that can hold its conversations.
    "landing_files": """
        path VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        mtime_ns BIGINT NOT NULL,
        line_count INTEGER NOT NULL,
        span_count INTEGER NOT NULL,
        quarantined_count INTEGER NOT NULL,
        home_day DATE NOT NULL,
        indexed_at TIMESTAMP NOT NULL
    """,
    "landing_traces": """
        path VARCHAR NOT NULL,
        trace_id VARCHAR NOT NULL,
        conversation_key VARCHAR,
        key_rank INTEGER,
        first_start TIMESTAMP,
        span_count INTEGER NOT NULL
    """,
}


def connect(
    path: str | Path, read_only: bool = False, lock_timeout_s: float = 120.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its lock.

    DuckDB allows one writing process or many reading ones, never both. Dagster serialises its
    own writers with the `warehouse` pool; the wait covers what the pool cannot see, such as a
    `dbt` run from a shell or a `journeys materialize` beside the daemon's runs.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def warehouse(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        if not read_only:
            ensure_raw_tables(con)
        yield con
    finally:
        con.close()


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables, and add to an existing one the columns it lacks (a warehouse made
    before they were declared keeps working; its older rows hold null in them)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = ?",
        [RAW_SCHEMA],
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table, columns in RAW_TABLES.items():
        if table not in existing:
            con.execute(f"create table if not exists {RAW_SCHEMA}.{table} ({columns})")
            continue
        for name, definition in column_definitions(columns):
            if name not in existing[table]:
                # Existing rows have no value for it: a NOT NULL column is added without the constraint.
                column_type = re.sub(r"\s+NOT\s+NULL\b", "", definition, flags=re.IGNORECASE)
                con.execute(f"alter table {RAW_SCHEMA}.{table} add column if not exists {name} {column_type}")


def column_definitions(columns: str) -> list[tuple[str, str]]:
    """`(name, type and constraints)` of each column of a RAW_TABLES entry, in order."""
    definitions, depth, current = [], 0, ""
    for char in columns + ",":
        if char == "," and depth == 0:
            if current.strip():
                name, _, definition = current.strip().partition(" ")
                definitions.append((name, definition.strip()))
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    return definitions


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: pa.Table,
    where: str = "true",
    params: list | None = None,
) -> int:
    """Delete the rows of `raw.<table>` matching `where`, insert `rows`, in one transaction,
    so a re-run is idempotent and a reader never sees the table half-written."""
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{table} where {where}", params or [])
        if rows.num_rows:
            con.register("_replacement_rows", rows)
            columns = ", ".join(f'"{name}"' for name in rows.column_names)
            con.execute(
                f"insert into {RAW_SCHEMA}.{table} ({columns}) select {columns} from _replacement_rows"
            )
            con.unregister("_replacement_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return rows.num_rows


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    partition_date: date,
    rows: pa.Table,
    extra_predicate: str = "",
) -> int:
    """Replace one daily partition of a raw table. Returns the number of rows inserted."""
    return replace_rows(con, table, rows, f"partition_date = ? {extra_predicate}", [partition_date])
