"""The raw layer as a hive-partitioned Parquet lake, for the Spark warehouse engine.

Ingestion, the evaluators and the journey map loader keep DuckDB as their in-process engine:
they write the working DuckDB file exactly as with the DuckDB engine (same dedupe by trace and
span id, same late-span handling, same idempotent day replacement). `sync_lake` then exports
every day whose rows changed to `raw/<table>/partition_date=YYYY-MM-DD/part-00000.parquet`,
and every unpartitioned table (journey map, landing index) to `raw/<table>/part-00000.parquet`,
which dbt-spark reads as external tables (dbt_project/macros/spark/lake_sources.sql).

A changed day is written beside the live one in a hidden directory (Spark and Hive skip names
starting with `.` or `_`), then swapped in with one `renameat2(RENAME_EXCHANGE)`: a reader sees
the old day or the new one, never a half-written one. On object storage, where there is no
rename, see docs/deploy.md (a table format's commit, or a versioned prefix per day).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchestration.raw_tables import PARTITION_COLUMN, RAW_SCHEMA, RAW_TABLES

PARTITIONED_TABLES = tuple(name for name, table in RAW_TABLES.items() if table.partition_column)
UNPARTITIONED_TABLES = tuple(name for name, table in RAW_TABLES.items() if not table.partition_column)
DATA_FILE = "part-00000.parquet"
# One zero-row Parquet file per table carrying its current columns: the dbt hook declares the
# Spark table from it, so a table with no rows yet still has a schema (and RAW_TABLES stays the
# single declaration of the columns).
SCHEMA_DIR = "_schema"
# What was last exported, per table and day: a day is rewritten only when its rows changed.
MANIFEST_DIR = "_manifest"

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class SyncReport:
    written: dict[str, list[str]]  # table -> days (or ["all"]) rewritten
    removed: dict[str, list[str]]  # table -> days that no longer hold rows

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def table_dir(lake_dir: str | Path, table: str) -> Path:
    return Path(lake_dir) / RAW_SCHEMA / table


def partition_dir(lake_dir: str | Path, table: str, day: date) -> Path:
    return table_dir(lake_dir, table) / f"{PARTITION_COLUMN}={day.isoformat()}"


def schema_file(lake_dir: str | Path, table: str) -> Path:
    return Path(lake_dir) / SCHEMA_DIR / f"{table}.parquet"


def _select_list(table: str, partitioned: bool) -> str:
    """The table's columns, JSON as plain strings (Spark has no JSON type); a partitioned table's
    files leave out partition_date, which their directory name carries."""
    columns = []
    for field in RAW_TABLES[table].schema:
        if partitioned and field.name == PARTITION_COLUMN:
            continue
        is_json = field.type == pa.json_()
        columns.append(f'cast("{field.name}" as varchar) as "{field.name}"' if is_json else f'"{field.name}"')
    return ", ".join(columns)


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux renameat2). Where the call is unavailable, two
    renames: readers may miss the day for an instant, but still never see it half-written."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
            raise OSError(errno, os.strerror(errno), str(a))
    aside = a.with_name(a.name + ".aside")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


def _replace_dir(target: Path, fill) -> None:
    """Write a new version of `target` beside it with `fill(directory)`, then swap it in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    staging.mkdir()
    try:
        fill(staging)
        if target.exists():
            _exchange(staging, target)
        else:
            os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_dir(target: Path) -> None:
    if target.exists():
        hidden = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        os.rename(target, hidden)
        shutil.rmtree(hidden)


def _fingerprints(con: duckdb.DuckDBPyConnection, table: str, partitioned: bool) -> dict[str, str]:
    """Row count and an order-independent hash of every row, per day (or for the whole table)."""
    key = f"cast({PARTITION_COLUMN} as varchar)" if partitioned else "'all'"
    rows = con.execute(
        f"select {key} as day, count(*), sum(hash(t)::hugeint) from {RAW_SCHEMA}.{table} as t group by all"
    ).fetchall()
    return {day: f"{count}:{digest}" for day, count, digest in rows}


def _read_manifest(lake_dir: Path, table: str) -> dict[str, str]:
    path = lake_dir / MANIFEST_DIR / f"{table}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _write_manifest(lake_dir: Path, table: str, manifest: dict[str, str]) -> None:
    path = lake_dir / MANIFEST_DIR / f"{table}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(manifest, sort_keys=True))
    os.replace(tmp, path)


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: list, out: Path) -> None:
    con.execute(f"copy ({query}) to '{out}' (format parquet, compression zstd)", params)


def _write_schema(con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str) -> None:
    path = schema_file(lake_dir, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    partitioned = table in PARTITIONED_TABLES
    # partition_date last, where Spark keeps a partitioned table's partition column.
    tail = f", {PARTITION_COLUMN}" if partitioned else ""
    _copy(con, f"select {_select_list(table, partitioned)}{tail} from {RAW_SCHEMA}.{table} limit 0", [], tmp)
    os.replace(tmp, path)


def sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: str | Path) -> SyncReport:
    """Bring the lake in line with the working DuckDB file's raw tables: rewrite each day (and
    each unpartitioned table) whose rows changed, remove the days that no longer hold rows.
    Idempotent: a second call with nothing changed writes nothing."""
    if "://" in str(lake_dir):
        raise ValueError(
            f"JOURNEYS_LAKE_DIR={lake_dir}: the lake writer writes a local or mounted file system; "
            "see docs/deploy.md for object storage"
        )
    lake_dir = Path(lake_dir)
    written: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for table in (*PARTITIONED_TABLES, *UNPARTITIONED_TABLES):
        partitioned = table in PARTITIONED_TABLES
        # Spark declares a table over its directory, which must exist before its first row.
        table_dir(lake_dir, table).mkdir(parents=True, exist_ok=True)
        _write_schema(con, lake_dir, table)
        previous = _read_manifest(lake_dir, table)
        current = _fingerprints(con, table, partitioned)
        select = _select_list(table, partitioned)
        for day, fingerprint in sorted(current.items()):
            if previous.get(day) == fingerprint:
                continue
            if partitioned:
                query = f"select {select} from {RAW_SCHEMA}.{table} where {PARTITION_COLUMN} = ?"
                target, params = partition_dir(lake_dir, table, date.fromisoformat(day)), [day]
            else:
                query, target, params = (
                    f"select {select} from {RAW_SCHEMA}.{table}",
                    table_dir(lake_dir, table),
                    [],
                )
            _replace_dir(target, lambda staging, q=query, p=params: _copy(con, q, p, staging / DATA_FILE))
            written.setdefault(table, []).append(day)
        for day in sorted(set(previous) - set(current)):
            if partitioned:
                _remove_dir(partition_dir(lake_dir, table, date.fromisoformat(day)))
            else:
                _replace_dir(table_dir(lake_dir, table), lambda staging: None)
            removed.setdefault(table, []).append(day)
        if previous != current:
            _write_manifest(lake_dir, table, current)
    return SyncReport(written=written, removed=removed)


def read_partition(
    lake_dir: str | Path, table: str, day: date, exclude: tuple[str, ...] = ()
) -> pd.DataFrame:
    """One day of a lake table, partition_date included, as the DuckDB engine's raw table holds it."""
    path = partition_dir(lake_dir, table, day)
    drop = f" exclude ({', '.join(exclude)})" if exclude else ""
    with duckdb.connect() as con:
        schema = f"read_parquet('{schema_file(lake_dir, table)}')"
        if not (path / DATA_FILE).exists():
            return con.execute(f"select *{drop} from {schema}").df()
        return con.execute(
            f"select *{drop} from (select *, cast(? as date) as {PARTITION_COLUMN} "
            f"from read_parquet('{path / DATA_FILE}'))",
            [day],
        ).df()


@contextmanager
def tables_reader(warehouse_dir: str | Path, schema: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with a view `<schema>.<table>` over each table Spark
    built in its warehouse directory (`<schema>.db/<table>/*.parquet`), so code written against
    the DuckDB warehouse (the serving snapshot, the closed-loop watches) reads Spark's marts."""
    con = duckdb.connect()
    try:
        con.execute(f"create schema {schema}")
        for table in sorted(p for p in (Path(warehouse_dir) / f"{schema}.db").glob("*") if p.is_dir()):
            # A partitioned table keeps its days in partition_date=... subdirectories.
            if any(table.rglob("*.parquet")):
                con.execute(
                    f"create view {schema}.{table.name} as select * from "
                    f"read_parquet('{table}/**/*.parquet', hive_partitioning = true)"
                )
        yield con
    finally:
        con.close()
