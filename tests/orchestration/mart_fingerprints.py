"""Every `marts.*` table of a warehouse as rows two builds can compare, and a short fingerprint
of them (row count and a hash of the sorted rows) that a test can commit."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import duckdb

# Columns that hold when a row was written, not what it says.
WALL_CLOCK_COLUMNS = frozenset({"generated_at", "published_at", "ingested_at", "evaluated_at"})
# Two builds over the same rows may differ in an average's last binary digit.
FLOAT_DIGITS = 9


def _comparable(value: Any) -> Any:
    if isinstance(value, float):
        # + 0.0 turns a -0.0 left by rounding into 0.0.
        return round(value, FLOAT_DIGITS) + 0.0 if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # dates, decimals, UUIDs


def mart_rows(warehouse: Path) -> dict[str, list[str]]:
    """Per mart, its rows as JSON text without the wall-clock columns, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        marts = {}
        for table in tables:
            cursor = con.execute(f"select * from marts.{table}")
            names = [d[0] for d in cursor.description]
            keep = [i for i, name in enumerate(names) if name not in WALL_CLOCK_COLUMNS]
            marts[table] = sorted(
                json.dumps({names[i]: _comparable(row[i]) for i in keep}, sort_keys=True)
                for row in cursor.fetchall()
            )
    return marts


def fingerprints(marts: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Per mart, its row count and the SHA-256 of its sorted rows."""
    return {
        table: {"rows": len(rows), "sha256": hashlib.sha256("\n".join(rows).encode()).hexdigest()}
        for table, rows in marts.items()
    }
