"""The app's queries over the published serving snapshot, never the warehouse file.

A Dagster run may be writing the DuckDB warehouse at any moment, and DuckDB never lets a reader
open it beside a writer. The app therefore reads only the snapshot `orchestration.serving`
publishes and resolves (its layout is declared there), through one cached in-memory DuckDB per
snapshot, with each mart as a view.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from orchestration.serving import Snapshot, mart_reader
from orchestration.settings import Settings

# Cached results are keyed by the resolved snapshot directory, so a newly published snapshot
# is read on the next rerun; the TTL only bounds how long superseded results stay in memory.
CACHE_TTL_SECONDS = 300
CACHE_MAX_ENTRIES = 512
# Databases of recent snapshots kept open: the current one, and the previous ones a session that
# resolved `current` just before a swap may still be reading.
CONNECTIONS_KEPT = 3


def serving_dir() -> Path:
    """`$JOURNEYS_SERVING_DIR`, defaulting to `<JOURNEYS_DATA_DIR or ./data>/serving`."""
    return Settings.from_env().serving_dir


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
