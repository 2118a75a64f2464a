"""The landing index: which traces each landing file holds, so a partition reads only its files.

`raw.landing_files` has one row per file version read (path, size, mtime; a change of either means
new content), `raw.landing_traces` one row per (file, trace) with the best conversation key the
file gives the trace and the trace's earliest valid span in the file. From these the conversation
of every trace, and the day each conversation starts, follow across files:

- a trace belongs to the highest-precedence key any of its spans carries (in any file), else its
  trace id; traces sharing a key are one conversation;
- a conversation's partition day is the UTC date of its earliest span (so a conversation crossing
  midnight, or whose late spans arrive in a later file, stays on its start day);
- a file belongs to every day one of its conversations starts on, and to its `home_day` (the earliest
  such day as the file alone tells it, or its mtime's date if it holds no valid span), the day its
  quarantined lines are reported on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from orchestration.ingest.landing import LandingFile
from orchestration.ingest.scratch import RUN_SPANS, TRACE_CONVERSATIONS, create, scalar
from orchestration.raw_tables import LANDING_FILES, LANDING_TRACES, RawTable

# The files being indexed (path, size, mtime and its UTC date), registered by `_new_files`.
_NEW_FILES = "_new_files"
# Their line counts, registered by `record_files`.
_NEW_FILE_COUNTS = "_new_file_counts"

# Per-file view of the traces in `RUN_SPANS` of the files being indexed.
_FILE_TRACES_SQL = f"""
select source_file as path, trace_id,
    arg_min(conversation_key, (key_rank, conversation_key)) filter (where problem is null) as conversation_key,
    min(key_rank) filter (where problem is null) as key_rank,
    min(start_time) filter (where problem is null) as first_start,
    count(*) filter (where problem is null)::integer as span_count
from {RUN_SPANS}
where trace_id is not null and source_file in (select path from {_NEW_FILES})
group by source_file, trace_id
"""

_HOME_DAYS_SQL = f"""
select new_file.path, coalesce(min(file_trace.first_start)::date, new_file.mtime_day) as home_day
from {_NEW_FILES} as new_file left join ({_FILE_TRACES_SQL}) as file_trace using (path)
group by new_file.path, new_file.mtime_day
"""


def stale_files(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[LandingFile]:
    """The files the index does not know in this version (new, or changed size or mtime)."""
    known = {
        (path, size, mtime)
        for path, size, mtime in con.execute(
            "select path, size_bytes, mtime_ns from raw.landing_files"
        ).fetchall()
    }
    return [f for f in files if (f.path, f.size_bytes, f.mtime_ns) not in known]


def file_days(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> dict[str, tuple[date, set[date]]]:
    """For files whose spans are in `RUN_SPANS`: path -> (home day, the days the file alone says it
    contributes to, home day included). Reads `RUN_SPANS`."""
    with _new_files(con, files):
        rows = con.execute(
            f"""
            with file_conversations as (
                select file_trace.path, file_trace.conversation_key, min(file_trace.first_start)::date as day
                from ({_FILE_TRACES_SQL}) as file_trace
                where file_trace.conversation_key is not null
                group by file_trace.path, file_trace.conversation_key
            )
            select home.path, home.home_day,
                list(distinct file_conversations.day) filter (where file_conversations.day is not null)
            from ({_HOME_DAYS_SQL}) as home left join file_conversations using (path)
            group by home.path, home.home_day
            """
        ).fetchall()
    return {path: (home, {home, *(days or [])}) for path, home, days in rows}


def record_files(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    line_counts: dict[str, int],
    line_quarantined: dict[str, int],
) -> None:
    """Replace the index rows of `files` in raw.landing_files and raw.landing_traces in one
    transaction. Reads `RUN_SPANS` (where the files' spans are)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    counts = pa.table(
        {
            "path": [f.path for f in files],
            "line_count": [line_counts[f.path] for f in files],
            "line_quarantined": [line_quarantined[f.path] for f in files],
        }
    )
    with _new_files(con, files):
        con.register(_NEW_FILE_COUNTS, counts)
        try:
            _replace_index_rows(con, now)
        finally:
            con.unregister(_NEW_FILE_COUNTS)


# The index rows of the files being indexed, with the columns named as raw_tables.py declares them.
_LANDING_FILE_ROWS_SQL = f"""
with span_counts as (
    select source_file as path, count(*) filter (where problem is null)::integer as span_count,
        count(*) filter (where problem is not null)::integer as quarantined
    from {RUN_SPANS} where source_file in (select path from {_NEW_FILES}) group by source_file
)
select new_file.path, new_file.size_bytes, new_file.mtime_ns, file_counts.line_count,
    coalesce(span_counts.span_count, 0) as span_count,
    coalesce(span_counts.quarantined, 0) + file_counts.line_quarantined as quarantined_count,
    home.home_day, $now as indexed_at
from {_NEW_FILES} as new_file
join {_NEW_FILE_COUNTS} as file_counts using (path)
join ({_HOME_DAYS_SQL}) as home using (path)
left join span_counts using (path)
"""


def _replace_index_rows(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    con.execute("begin transaction")
    try:
        written: tuple[tuple[RawTable, str, dict[str, datetime] | None], ...] = (
            (LANDING_TRACES, _FILE_TRACES_SQL, None),
            (LANDING_FILES, _LANDING_FILE_ROWS_SQL, {"now": now}),
        )
        for table, rows_sql, params in written:
            con.execute(f"delete from {table.qualified_name} where path in (select path from {_NEW_FILES})")
            columns = ", ".join(table.schema.names)
            insert = f"insert into {table.qualified_name} ({columns}) select {columns} from ({rows_sql}) as index_rows"
            con.execute(insert, params or [])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def forget_missing(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> int:
    """Drop the index rows of files no longer in the landing directory; returns how many."""
    con.register("_listed", pa.table({"path": [f.path for f in files]}))
    try:
        missing = scalar(
            con, "select count(*) from raw.landing_files where path not in (select path from _listed)"
        )
        if missing:
            con.execute("delete from raw.landing_traces where path not in (select path from _listed)")
            con.execute("delete from raw.landing_files where path not in (select path from _listed)")
    finally:
        con.unregister("_listed")
    return missing


def resolve_conversations(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build `TRACE_CONVERSATIONS(trace_id, conversation_id, partition_date)` for every
    indexed trace. A trace whose spans were all quarantined has neither. Reads raw.landing_traces;
    writes `TRACE_CONVERSATIONS`."""
    create(
        con,
        TRACE_CONVERSATIONS,
        """
        with traces as (
            select trace_id,
                arg_min(conversation_key, (key_rank, conversation_key)) filter (where conversation_key is not null)
                    as conversation_id,
                min(first_start) as first_start
            from raw.landing_traces group by trace_id
        )
        select trace_id, conversation_id,
            case when conversation_id is not null
                then min(first_start) over (partition by conversation_id)::date end as partition_date
        from traces
        """
    )


def files_for_day(con: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    """The indexed files that can hold spans or quarantined lines of partition `day`. Reads
    `TRACE_CONVERSATIONS`."""
    rows = con.execute(
        f"""
        select distinct landing_trace.path
        from raw.landing_traces as landing_trace join {TRACE_CONVERSATIONS} as trace_conversation using (trace_id)
        where trace_conversation.partition_date = $day
        union
        select path from raw.landing_files where home_day = $day
        order by 1
        """,
        {"day": day},
    ).fetchall()
    return [path for (path,) in rows]


def days_of_files(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, set[date]]:
    """Path -> the partition days that indexed file contributes to, all files considered. Reads
    `TRACE_CONVERSATIONS`."""
    con.register("_paths", pa.table({"path": paths}))
    try:
        rows = con.execute(
            f"""
            select landing_trace.path, trace_conversation.partition_date
            from raw.landing_traces as landing_trace join {TRACE_CONVERSATIONS} as trace_conversation using (trace_id)
            where landing_trace.path in (select path from _paths) and trace_conversation.partition_date is not null
            union
            select path, home_day from raw.landing_files where path in (select path from _paths)
            """
        ).fetchall()
    finally:
        con.unregister("_paths")
    days: dict[str, set[date]] = {path: set() for path in paths}
    for path, day in rows:
        days[path].add(day)
    return days


@contextmanager
def _new_files(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> Iterator[None]:
    """Expose `files` (path, size, mtime and its UTC date) to SQL as `_NEW_FILES`."""
    listed = pa.table(
        {
            "path": [f.path for f in files],
            "size_bytes": pa.array([f.size_bytes for f in files], pa.int64()),
            "mtime_ns": pa.array([f.mtime_ns for f in files], pa.int64()),
            "mtime_day": pa.array(
                [datetime.fromtimestamp(f.mtime_ns / 1e9, UTC).date() for f in files], pa.date32()
            ),
        }
    )
    con.register(_NEW_FILES, listed)
    try:
        yield
    finally:
        con.unregister(_NEW_FILES)
