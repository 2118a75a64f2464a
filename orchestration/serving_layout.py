"""The serving snapshot's layout: the contract between its writer (`orchestration/serving.py`)
and its readers (the Streamlit app, orchestrators polling the routing signals). No Dagster and
no Streamlit here, so both sides import it.

```
serving/
  current -> snapshots/<id>/      symlink, swapped atomically
  snapshots/<id>/
    manifest.json                 published_at, journey_map_version, tables (row counts)
    <mart>.parquet                one file per marts.* table
  routing_signals.json            the latest routing signals, replaced atomically
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CURRENT_LINK = "current"
SNAPSHOTS_DIR = "snapshots"
MANIFEST_FILE = "manifest.json"
ROUTING_SIGNALS_FILE = "routing_signals.json"
MART_SUFFIX = ".parquet"


class SnapshotError(RuntimeError):
    """The serving directory exists but its current snapshot cannot be read."""


def mart_file(snapshot_dir: Path, mart: str) -> Path:
    return snapshot_dir / f"{mart}{MART_SUFFIX}"


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its resolved directory and what its manifest says."""

    path: Path
    published_at: str | None
    journey_map_version: str | None
    marts: frozenset[str]
    # Not part of equality or the hash: a dict is unhashable, and the marts identify the snapshot.
    row_counts: Mapping[str, int] = field(default_factory=dict, compare=False)

    def has(self, mart: str) -> bool:
        return mart in self.marts

    @property
    def routing_signals(self) -> int | None:
        """Signals in routing_signals.json (one per routing_signals row); None without the mart."""
        return self.row_counts.get("routing_signals")

    def to_metadata(self) -> dict[str, Any]:
        """What a publication reports (Dagster materialization metadata)."""
        return {
            "snapshot": str(self.path),
            "published_at": self.published_at,
            "tables": len(self.row_counts),
            "row_counts": dict(self.row_counts),
            "routing_signals": self.routing_signals if self.routing_signals is not None else "n/a",
        }


def current_snapshot(serving_dir: Path) -> Snapshot | None:
    """Resolve `serving_dir/current` once, so every query of one page run reads the same snapshot
    even if a new one is swapped in meanwhile. None when nothing has been published yet."""
    try:
        target = (serving_dir / CURRENT_LINK).resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    marts = frozenset(p.name.removesuffix(MART_SUFFIX) for p in target.glob(f"*{MART_SUFFIX}"))
    if not marts:
        return None
    manifest_path = target / MANIFEST_FILE
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{manifest_path} is not readable JSON: {exc}") from exc
    return Snapshot(
        path=target,
        published_at=manifest.get("published_at"),
        journey_map_version=manifest.get("journey_map_version"),
        marts=marts,
        row_counts=manifest.get("tables") or {},
    )
