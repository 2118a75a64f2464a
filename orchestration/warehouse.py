"""The DuckDB warehouse: connections, and the tables Python writes (dbt owns everything else)
created and migrated from their declarations in `orchestration/raw_tables.py`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.raw_tables import RAW_SCHEMA, RAW_TABLES, RawTable

# The DuckDB type of each Arrow type the raw tables use (`duckdb_type` composes lists and structs).
_DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.json_(): "JSON",
    pa.bool_(): "BOOLEAN",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
    pa.timestamp("us"): "TIMESTAMP",
}


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB column type of an Arrow type of a raw table's schema."""
    if pa.types.is_list(arrow_type):
        return f"{duckdb_type(arrow_type.value_type)}[]"
    if pa.types.is_struct(arrow_type):
        fields = ", ".join(f'"{field.name}" {duckdb_type(field.type)}' for field in arrow_type)
        return f"STRUCT({fields})"
    if arrow_type not in _DUCKDB_TYPES:
        raise TypeError(f"no DuckDB type declared for the Arrow type {arrow_type}")
    return _DUCKDB_TYPES[arrow_type]


def create_table_sql(table: RawTable) -> str:
    """`create table` for a raw table: its columns in order, non-nullable fields `NOT NULL`."""
    columns = ", ".join(
        f'"{field.name}" {duckdb_type(field.type)}{"" if field.nullable else " NOT NULL"}'
        for field in table.schema
    )
    return f"create table if not exists {table.qualified_name} ({columns})"


def connect(
    path: str | Path, read_only: bool = False, lock_timeout_s: float = 120.0, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its lock.

    DuckDB allows one writing process or many reading ones, never both. Dagster serialises its
    own writers with the `warehouse` pool; the wait covers what the pool cannot see, such as a
    `dbt` run from a shell or a `journeys materialize` beside the daemon's runs. `memory_limit`
    (Settings.duckdb_memory_limit, e.g. "1GB") bounds what DuckDB holds before it spills.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def warehouse(
    path: str | Path, read_only: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only, memory_limit=memory_limit)
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
    for table_name, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = ?",
        [RAW_SCHEMA],
    ).fetchall():
        existing.setdefault(table_name, set()).add(column)
    for table in RAW_TABLES.values():
        if table.name not in existing:
            con.execute(create_table_sql(table))
            continue
        for field in table.schema:
            if field.name not in existing[table.name]:
                # Existing rows have no value for it: a NOT NULL column is added without the constraint.
                con.execute(
                    f'alter table {table.qualified_name} add column if not exists "{field.name}" '
                    f"{duckdb_type(field.type)}"
                )


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
