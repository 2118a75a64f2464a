"""Publish the marts as a read-only serving snapshot.

The Streamlit app and routing orchestrators must keep reading while a Dagster run writes the
warehouse, and DuckDB never allows a reader beside a writer. So after each successful dbt
build the marts are exported to Parquet in a fresh directory, and a `current` symlink is
swapped to it with an atomic rename: readers see the old snapshot or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

MARTS_SCHEMA = "marts"
ROUTING_SIGNALS_FILE = "routing_signals.json"
# Old snapshots are kept briefly: a reader that resolved `current` just before a swap may
# still be opening files in the previous one.
SNAPSHOTS_KEPT = 3


@dataclass(frozen=True)
class Snapshot:
    path: Path
    published_at: str
    row_counts: dict[str, int]
    routing_signals: int | None

    def to_metadata(self) -> dict[str, Any]:
        return {
            "snapshot": str(self.path),
            "published_at": self.published_at,
            "tables": len(self.row_counts),
            "row_counts": self.row_counts,
            "routing_signals": self.routing_signals if self.routing_signals is not None else "n/a",
        }


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's entries to disk. A rename is durable only once the
    renamed file's data and its directory are: without this a crash right after the swap could
    leave `current` pointing at empty or missing files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    _write_text(tmp, text)
    os.replace(tmp, path)
    _fsync(path.parent)


def _swap_current(serving_dir: Path, target: Path) -> None:
    link = serving_dir / "current"
    tmp_link = serving_dir / ".current.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(serving_dir))
    os.replace(tmp_link, link)
    _fsync(serving_dir)


def _prune(snapshots_dir: Path, keep: int) -> None:
    for old in sorted(p for p in snapshots_dir.iterdir() if p.is_dir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _routing_signals(con: duckdb.DuckDBPyConnection, published_at: str) -> dict[str, Any] | None:
    """The routing signals as orchestrators poll them: one JSON document, newest first."""
    if "routing_signals" not in _mart_tables(con):
        return None
    cursor = con.execute(f"select * from {MARTS_SCHEMA}.routing_signals")
    columns = [d[0] for d in cursor.description]
    signals = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return {"published_at": published_at, "count": len(signals), "signals": signals}


def publish_snapshot(
    con: duckdb.DuckDBPyConnection, serving_dir: Path, *, journey_map_version: str | None = None
) -> Snapshot:
    """Export every `marts.*` table to Parquet and make it the current snapshot."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    snapshots_dir = serving_dir / "snapshots"
    snapshots_dir.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    published_at = now.isoformat(timespec="seconds")
    target = snapshots_dir / now.strftime("%Y%m%dT%H%M%S%fZ")
    staging = snapshots_dir / f".{target.name}.partial"
    staging.mkdir()

    row_counts: dict[str, int] = {}
    for table in _mart_tables(con):
        out = staging / f"{table}.parquet"
        con.execute(f"copy (select * from {MARTS_SCHEMA}.{table}) to '{out}' (format parquet)")
        (count,) = con.execute(f"select count(*) from {MARTS_SCHEMA}.{table}").fetchone()
        row_counts[table] = count
        _fsync(out)

    routing = _routing_signals(con, published_at)
    manifest = {
        "published_at": published_at,
        "journey_map_version": journey_map_version,
        "tables": row_counts,
    }
    _write_text(staging / "manifest.json", json.dumps(manifest, indent=2))
    if routing is not None:
        _write_text(staging / ROUTING_SIGNALS_FILE, json.dumps(routing, indent=2, default=str))
    _fsync(staging)
    staging.rename(target)
    _fsync(snapshots_dir)
    _swap_current(serving_dir, target)
    if routing is not None:
        _atomic_write_text(serving_dir / ROUTING_SIGNALS_FILE, json.dumps(routing, indent=2, default=str))
    _prune(snapshots_dir, SNAPSHOTS_KEPT)
    return Snapshot(target, published_at, row_counts, None if routing is None else routing["count"])
