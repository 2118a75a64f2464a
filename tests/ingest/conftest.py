from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import IngestReport, decode_pool, ingest_partition


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield con
    con.close()


@pytest.fixture
def ingest(warehouse: duckdb.DuckDBPyConnection, landing: Path):
    """`ingest(day)` runs ingest_partition on the test's landing directory and warehouse."""

    def run(day: date) -> IngestReport:
        return ingest_partition(warehouse, landing, day)

    return run


@pytest.fixture
def decoded(monkeypatch):
    """The landing files decode_file is called on, in order."""
    paths: list[str] = []
    decode = decode_pool.decode_file

    def counting(path, redaction=None):
        paths.append(path.name)
        return decode(path, redaction)

    monkeypatch.setattr(decode_pool, "decode_file", counting)
    return paths
