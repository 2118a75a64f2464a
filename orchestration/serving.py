"""The serving snapshot: its layout, its writer and its reader, declared here only.

The Streamlit app and routing orchestrators must keep reading while a Dagster run writes the
warehouse, and DuckDB never allows a reader beside a writer. So after each successful dbt
build the marts are exported to Parquet in a fresh directory, and a `current` symlink is
swapped to it with an atomic rename: readers see the old snapshot or the new one, never a mix.

Conversation-level marts grow with the history, so they are hive-partitioned directories
(`<mart>/partition_date=YYYY-MM-DD/*.parquet`) and a publish writes only the partitions whose
rows changed since the previous snapshot: the others are hard links to its files. Each
partition's fingerprint (row count and an order-independent hash of its rows) is kept in the
manifest for the next publish to compare with.

The writer (`publish_snapshot`, which the Dagster asset calls) and the readers the app uses
(`current_snapshot`, `published_marts`, `mart_reader`, `read_routing_signals`) share the names
below, so the layout docs/architecture.md gives as the reader contract is declared once.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

MARTS_SCHEMA = "marts"
# The layout of $JOURNEYS_SERVING_DIR (docs/architecture.md, "Serving snapshot").
CURRENT_LINK = "current"
SNAPSHOTS_DIR = "snapshots"
MANIFEST_FILE = "manifest.json"
ROUTING_SIGNALS_FILE = "routing_signals.json"
ROUTING_SIGNALS_MART = "routing_signals"
# Marts with one row per conversation: published hive-partitioned on this column.
PARTITIONED_MARTS = ("conversation_evaluations",)
PARTITION_COLUMN = "partition_date"
# Each day's file of a partitioned mart is sorted by the mart's key and cut into small row
# groups: a lookup by key (the app opens one conversation by its id) then reads one row group,
# the others skipped on their min/max statistics, instead of the whole day's transcripts
# (on a day of 20k conversations: 89 ms with one row group, 16 ms with these).
PARTITION_SORT_KEYS = {"conversation_evaluations": "conversation_id"}
PARTITION_ROW_GROUP_ROWS = 4096
# Old snapshots are kept briefly: a reader that resolved `current` just before a swap may
# still be opening files in the previous one.
SNAPSHOTS_KEPT = 3
# A snapshot is written under `.<name>.partial` and renamed to `<name>` once complete.
STAGING_SUFFIX = ".partial"
# Owner and group only, whatever the umask: the marts hold customer data. Readers (the app, an
# orchestrator polling routing signals) run as the owner or in its group.
DIR_MODE = 0o750
FILE_MODE = 0o640


class SnapshotError(RuntimeError):
    """The serving directory exists but its current snapshot cannot be read."""


def _read_json_object(path: Path) -> dict[str, Any] | None:
    """A published JSON document; None when it is absent, SnapshotError when it is damaged."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise SnapshotError(f"{path} is not a JSON object")
    return document


@dataclass(frozen=True)
class Manifest:
    """A snapshot's `manifest.json`. A snapshot published without one reads as all defaults."""

    published_at: str | None = None
    journey_map_version: str | None = None
    # rows per mart
    tables: Mapping[str, int] = field(default_factory=dict)
    # per partitioned mart, day -> [rows, hash of the rows]: what the next publish compares with
    partitions: Mapping[str, Mapping[str, list[int]]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def read(cls, snapshot_dir: Path) -> Manifest:
        document = _read_json_object(snapshot_dir / MANIFEST_FILE)
        if document is None:
            return cls()
        return cls(**{f.name: document[f.name] for f in fields(cls) if f.name in document})


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its resolved directory, its manifest and the marts it holds."""

    path: Path
    manifest: Manifest
    marts: frozenset[str]

    @property
    def published_at(self) -> str | None:
        return self.manifest.published_at

    @property
    def journey_map_version(self) -> str | None:
        return self.manifest.journey_map_version

    @property
    def routing_signals(self) -> int | None:
        """How many routing signals the snapshot publishes; None without the routing mart."""
        return self.manifest.tables.get(ROUTING_SIGNALS_MART)

    def has(self, mart: str) -> bool:
        return mart in self.marts

    def to_metadata(self) -> dict[str, Any]:
        return {
            "snapshot": str(self.path),
            "published_at": self.published_at,
            "tables": len(self.manifest.tables),
            "row_counts": dict(self.manifest.tables),
            "routing_signals": self.routing_signals if self.routing_signals is not None else "n/a",
        }


# The reader contract.


def mart_file(snapshot: Path, mart: str) -> Path:
    """An aggregate mart's one Parquet file in a snapshot directory."""
    return snapshot / f"{mart}.parquet"


def published_marts(snapshot: Path) -> frozenset[str]:
    """The marts a published snapshot directory holds: `<mart>.parquet` files and, for the
    conversation-level marts, `<mart>/` partitioned directories."""
    return frozenset(
        p.stem if p.suffix == ".parquet" else p.name
        for p in snapshot.iterdir()
        if (p.is_file() and p.suffix == ".parquet") or (p.is_dir() and p.name in PARTITIONED_MARTS)
    )


def mart_reader(snapshot: Path, mart: str) -> str:
    """The DuckDB table function reading one mart of a published snapshot (the reader contract
    of docs/architecture.md). A filter on partition_date prunes the partitions read."""
    directory = snapshot / mart
    if directory.is_dir():
        pattern = str(directory / "**" / "*.parquet").replace("'", "''")
        return f"read_parquet('{pattern}', hive_partitioning = true)"
    path = str(mart_file(snapshot, mart)).replace("'", "''")
    return f"read_parquet('{path}')"


def current_snapshot(serving_dir: Path) -> Snapshot | None:
    """Resolve `serving_dir/current` once, so every read of one page run (or one publish) sees
    the same snapshot even if a new one is swapped in meanwhile. None when nothing has been
    published yet; SnapshotError when its manifest is damaged."""
    try:
        target = (serving_dir / CURRENT_LINK).resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    marts = published_marts(target)
    if not marts:
        return None
    return Snapshot(target, Manifest.read(target), marts)


def routing_signals_path(directory: Path) -> Path:
    """In a serving directory, the one path orchestrators poll for the latest routing signals;
    in a snapshot, the copy it was published with."""
    return directory / ROUTING_SIGNALS_FILE


def read_routing_signals(directory: Path) -> dict[str, Any] | None:
    """The routing signals document (`published_at`, `count`, `signals`) in a serving directory
    (the latest, as orchestrators poll it) or in one snapshot; None when it has none."""
    return _read_json_object(routing_signals_path(directory))


# The writer.


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
    tmp.chmod(FILE_MODE)
    os.replace(tmp, path)
    _fsync(path.parent)


def _swap_current(serving_dir: Path, target: Path) -> None:
    link = serving_dir / CURRENT_LINK
    tmp_link = serving_dir / f".{CURRENT_LINK}.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(serving_dir))
    os.replace(tmp_link, link)
    _fsync(serving_dir)


def _restrict(directory: Path) -> None:
    directory.chmod(DIR_MODE)
    for path in directory.rglob("*"):  # partitioned marts hold directories of their own
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)


def _prune(snapshots_dir: Path, keep: int) -> None:
    """Delete published snapshots (never a staging directory) but the newest `keep`."""
    published = sorted(p for p in snapshots_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in published[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _routing_signals(con: duckdb.DuckDBPyConnection, published_at: str) -> dict[str, Any] | None:
    """The routing signals as orchestrators poll them: one JSON document, newest first."""
    if ROUTING_SIGNALS_MART not in _mart_tables(con):
        return None
    cursor = con.execute(f"select * from {MARTS_SCHEMA}.{ROUTING_SIGNALS_MART}")
    columns = [d[0] for d in cursor.description]
    signals = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return {"published_at": published_at, "count": len(signals), "signals": signals}


def _previous_snapshot(serving_dir: Path) -> Snapshot | None:
    """The current snapshot, whose partitions the next publish may link; None when none is
    published or it cannot be read (then every partition is written afresh)."""
    try:
        return current_snapshot(serving_dir)
    except (OSError, SnapshotError):
        return None


def _publish_partitioned(
    con: duckdb.DuckDBPyConnection, table: str, staging: Path, previous: Snapshot | None
) -> dict[str, list[int]]:
    """Write `table` as `staging/<table>/partition_date=.../*.parquet`, linking the partitions
    the previous snapshot already holds with the same rows; returns each partition's
    fingerprint [rows, hash]. A mart without rows is one empty file, so readers see its columns."""
    out = staging / table
    out.mkdir()
    fingerprints = {
        day.isoformat(): [count, digest]
        for day, count, digest in con.execute(
            f"select {PARTITION_COLUMN}, count(*), bit_xor(hash(t)) from {MARTS_SCHEMA}.{table} as t group by 1"
        ).fetchall()
    }
    if not fingerprints:
        con.execute(f"copy (select * from {MARTS_SCHEMA}.{table}) to '{out / 'empty.parquet'}' (format parquet)")
        _fsync(out / "empty.parquet")
        _fsync(out)
        return {}
    before = previous.manifest.partitions.get(table, {}) if previous else {}
    changed = []
    for day, fingerprint in sorted(fingerprints.items()):
        held = previous.path / table / f"{PARTITION_COLUMN}={day}" if previous else None
        if before.get(day) == fingerprint and held is not None and held.is_dir():
            linked = out / held.name
            linked.mkdir()
            for file in held.iterdir():
                os.link(file, linked / file.name)
        else:
            changed.append(day)
    if changed:
        order = f" order by {PARTITION_SORT_KEYS[table]}" if table in PARTITION_SORT_KEYS else ""
        con.execute(
            f"copy (select * from {MARTS_SCHEMA}.{table} where {PARTITION_COLUMN} in "
            f"(select unnest(?::date[])){order}) to '{out}' (format parquet, partition_by ({PARTITION_COLUMN}), "
            f"row_group_size {PARTITION_ROW_GROUP_ROWS}, overwrite_or_ignore true)",
            [changed],
        )
    for entry in out.rglob("*"):  # partition directories and files, linked or written
        _fsync(entry)
    _fsync(out)
    return fingerprints


def _stage(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    previous: Snapshot | None,
    published_at: str,
    journey_map_version: str | None,
) -> tuple[Manifest, str | None]:
    """Write every mart, the manifest and the routing signals into `staging`, each fsynced;
    return the manifest and the routing signals' JSON (None without the mart)."""
    row_counts: dict[str, int] = {}
    partitions: dict[str, dict[str, list[int]]] = {}
    for table in _mart_tables(con):
        if table in PARTITIONED_MARTS:
            partitions[table] = _publish_partitioned(con, table, staging, previous)
            row_counts[table] = sum(count for count, _ in partitions[table].values())
            continue
        out = mart_file(staging, table)
        con.execute(f"copy (select * from {MARTS_SCHEMA}.{table}) to '{out}' (format parquet)")
        (count,) = con.execute(f"select count(*) from {MARTS_SCHEMA}.{table}").fetchone()
        row_counts[table] = count
        _fsync(out)

    routing = _routing_signals(con, published_at)
    routing_json = None if routing is None else json.dumps(routing, indent=2, default=str)
    manifest = Manifest(published_at, journey_map_version, row_counts, partitions)
    _write_text(staging / MANIFEST_FILE, manifest.to_json())
    if routing_json is not None:
        _write_text(routing_signals_path(staging), routing_json)
    _restrict(staging)
    _fsync(staging)
    return manifest, routing_json


def _remove_abandoned_staging(snapshots_dir: Path) -> None:
    """Delete the staging directories of publishes killed mid-way. Publishes run one at a time
    (the `warehouse` pool), so any staging directory found at the start of one is abandoned."""
    for abandoned in snapshots_dir.glob(f".*{STAGING_SUFFIX}"):
        shutil.rmtree(abandoned, ignore_errors=True)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection, serving_dir: Path, *, journey_map_version: str | None = None
) -> Snapshot:
    """Export every `marts.*` table to Parquet and make it the current snapshot. A publish that
    fails (a full disk) removes what it staged; `current` still points at the last snapshot."""
    serving_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    snapshots_dir = serving_dir / SNAPSHOTS_DIR
    snapshots_dir.mkdir(mode=DIR_MODE, exist_ok=True)
    _remove_abandoned_staging(snapshots_dir)
    now = datetime.now(UTC)
    published_at = now.isoformat(timespec="seconds")
    target = snapshots_dir / now.strftime("%Y%m%dT%H%M%S%fZ")
    staging = snapshots_dir / f".{target.name}{STAGING_SUFFIX}"
    staging.mkdir()
    try:
        previous = _previous_snapshot(serving_dir)
        manifest, routing_json = _stage(con, staging, previous, published_at, journey_map_version)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync(snapshots_dir)
    _swap_current(serving_dir, target)
    if routing_json is not None:
        _atomic_write_text(routing_signals_path(serving_dir), routing_json)
    _prune(snapshots_dir, SNAPSHOTS_KEPT)
    return Snapshot(target, manifest, published_marts(target))
