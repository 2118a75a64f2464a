"""Read access to the published serving snapshot, never the warehouse file.

A Dagster run may be writing the DuckDB warehouse at any moment, and DuckDB never lets a reader
open it beside a writer. The app therefore reads only `$JOURNEYS_SERVING_DIR/current/*.parquet`,
the snapshot `orchestration.serving.publish_snapshot` swaps in atomically after each successful
dbt build, through an in-memory DuckDB connection per query.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from orchestration.serving_layout import Snapshot, mart_file
from orchestration.settings import Settings

# Cached results are keyed by the resolved snapshot directory, so a newly published snapshot
# is read on the next rerun; the TTL only bounds how long superseded results stay in memory.
CACHE_TTL_SECONDS = 300
CACHE_MAX_ENTRIES = 512


def serving_dir() -> Path:
    """`$JOURNEYS_SERVING_DIR`, defaulting to `<JOURNEYS_DATA_DIR or ./data>/serving`."""
    return Settings.from_env().serving_dir


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _run(snapshot_dir: str, marts: tuple[str, ...], sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        for mart in marts:
            path = str(mart_file(Path(snapshot_dir), mart))
            con.execute(
                f"create view {_quote_identifier(mart)} as select * from read_parquet({_quote_literal(path)})"
            )
        return con.execute(sql, [list(p) if isinstance(p, tuple) else p for p in params]).df()
    finally:
        con.close()


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
