"""Read access to the published serving snapshot, never the warehouse file.

A Dagster run may be writing the DuckDB warehouse at any moment, and DuckDB never lets a reader
open it beside a writer. The app therefore reads only `$JOURNEYS_SERVING_DIR/current/`
(`<mart>.parquet`, and `<mart>/partition_date=.../*.parquet` for conversation-level marts), the snapshot `orchestration.serving.publish_snapshot` swaps in atomically after each successful
dbt build, through an in-memory DuckDB connection per query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from orchestration.serving import mart_reader, published_marts
from orchestration.settings import Settings

# Cached results are keyed by the resolved snapshot directory, so a newly published snapshot
# is read on the next rerun; the TTL only bounds how long superseded results stay in memory.
CACHE_TTL_SECONDS = 300
CACHE_MAX_ENTRIES = 512
# Databases of recent snapshots kept open: the current one, and the previous ones a session that
# resolved `current` just before a swap may still be reading.
CONNECTIONS_KEPT = 3


class SnapshotError(RuntimeError):
    """The serving directory exists but its current snapshot cannot be read."""


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its resolved directory and what its manifest says."""

    path: Path
    published_at: str | None
    journey_map_version: str | None
    marts: frozenset[str]

    def has(self, mart: str) -> bool:
        return mart in self.marts


def serving_dir() -> Path:
    """`$JOURNEYS_SERVING_DIR`, defaulting to `<JOURNEYS_DATA_DIR or ./data>/serving`."""
    return Settings.from_env().serving_dir


def current_snapshot(directory: Path) -> Snapshot | None:
    """Resolve `directory/current` once, so every query of one page run reads the same snapshot
    even if a new one is swapped in meanwhile. None when nothing has been published yet."""
    try:
        target = (directory / "current").resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    marts = published_marts(target)
    if not marts:
        return None
    manifest_path = target / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{manifest_path} is not readable JSON: {exc}") from exc
    return Snapshot(
        path=target,
        published_at=manifest.get("published_at"),
        journey_map_version=manifest.get("journey_map_version"),
        marts=marts,
    )


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@st.cache_resource(max_entries=CONNECTIONS_KEPT, show_spinner=False)
def _snapshot_database(snapshot_dir: str, marts: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per published snapshot, with each mart as a view. Creating a view
    binds its Parquet files' schema; doing it once per snapshot, not once per query, is most of
    a page's query time (a page runs a dozen small queries)."""
    con = duckdb.connect()
    for mart in marts:
        con.execute(f"create view {_quote_identifier(mart)} as select * from {mart_reader(Path(snapshot_dir), mart)}")
    return con


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _run(snapshot_dir: str, marts: tuple[str, ...], sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    # A cursor is a connection of its own to the snapshot's database: sessions query in parallel.
    cursor = _snapshot_database(snapshot_dir, marts).cursor()
    try:
        return cursor.execute(sql, [list(p) if isinstance(p, tuple) else p for p in params]).df()
    finally:
        cursor.close()


def query(snapshot: Snapshot, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run `sql` over the snapshot's marts (each available as a view named after the mart).
    Everything that comes from a user must be passed in `params`, never formatted into `sql`."""
    frozen = tuple(tuple(p) if isinstance(p, list) else p for p in params)
    return _run(str(snapshot.path), tuple(sorted(snapshot.marts)), sql, frozen)


def columns(snapshot: Snapshot, mart: str) -> frozenset[str]:
    """The mart's column names, or an empty set when the snapshot does not have the mart."""
    if not snapshot.has(mart):
        return frozenset()
    described = query(snapshot, f"describe {_quote_identifier(mart)}")
    return frozenset(described["column_name"])
