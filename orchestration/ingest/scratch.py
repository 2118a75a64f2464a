"""Helpers for the ingestion connection's temporary (scratch) tables."""

from __future__ import annotations

from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    # fetchall, not fetchone: DuckDB 2 keeps a half-fetched result open, which blocks `register`.
    return con.execute(sql, params or []).fetchall()[0][0]


def exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        scalar(con, "select count(*) from duckdb_tables() where temporary and table_name = ?", [table])
    )


def append(con: duckdb.DuckDBPyConnection, table: str, select_sql: str) -> None:
    """Append the rows of `select_sql` to temporary `table`, creating it from them the first time."""
    if exists(con, table):
        con.execute(f"insert into {table} {select_sql}")
    else:
        con.execute(f"create temp table {table} as {select_sql}")
