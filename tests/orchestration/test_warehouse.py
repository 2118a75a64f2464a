import subprocess
import sys
from datetime import date

import duckdb
import pyarrow as pa
import pytest

from orchestration import warehouse


def _rows(day: date, ids: list[str]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"conversation_id": cid, "evaluator": "conversation_resolution", "status": "completed",
             "evaluated_at": "2026-11-02 10:00:00", "partition_date": day}
            for cid in ids
        ]
    )


def test_replace_partition_is_idempotent_and_touches_only_its_day(tmp_path):
    path = tmp_path / "w.duckdb"
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    with warehouse.warehouse(path) as con:
        warehouse.replace_partition(con, "evaluations", d1, _rows(d1, ["a", "b"]))
        warehouse.replace_partition(con, "evaluations", d2, _rows(d2, ["c"]))
        warehouse.replace_partition(con, "evaluations", d1, _rows(d1, ["a", "b"]))
        warehouse.replace_partition(con, "evaluations", d1, _rows(d1, ["a"]))
        got = con.execute(
            "select partition_date, conversation_id from raw.evaluations order by 1, 2"
        ).fetchall()
    assert got == [(d1, "a"), (d2, "c")]


def test_a_failed_replacement_leaves_the_partition_as_it_was(tmp_path):
    day = date(2026, 11, 1)
    with warehouse.warehouse(tmp_path / "w.duckdb") as con:
        warehouse.replace_partition(con, "evaluations", day, _rows(day, ["a"]))
        broken = pa.Table.from_pylist([{"conversation_id": None, "evaluator": "x", "status": "completed",
                                        "evaluated_at": "2026-11-01 00:00:00", "partition_date": day}])
        with pytest.raises(duckdb.ConstraintException):
            warehouse.replace_partition(con, "evaluations", day, broken)
        assert con.execute("select conversation_id from raw.evaluations").fetchall() == [("a",)]


def test_a_second_writer_waits_for_the_lock_then_fails_clearly(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = warehouse.connect(path)
    try:
        code = (
            "import time, duckdb; from orchestration.warehouse import connect\n"
            f"t = time.monotonic()\n"
            f"try:\n    connect({str(path)!r}, lock_timeout_s=1.0)\n"
            "except duckdb.IOException:\n    print(round(time.monotonic() - t, 1))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert float(out) >= 0.5  # it waited instead of failing at once
    finally:
        holder.close()


def test_dagster_opens_the_warehouse_with_the_configured_memory_limit(tmp_path, monkeypatch):
    """DuckDB's own default (80% of RAM) let one 1M-span day's ingestion hold 5.5 GB; the
    platform's connections and dbt's profile take JOURNEYS_DUCKDB_MEMORY_LIMIT instead."""
    from orchestration.defs.resources import platform_resources
    from orchestration.settings import Settings

    monkeypatch.setenv("JOURNEYS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("JOURNEYS_DUCKDB_MEMORY_LIMIT", "300MB")
    settings = Settings.from_env()
    assert settings.as_env()["JOURNEYS_DUCKDB_MEMORY_LIMIT"] == "300MB"  # what dbt's profile reads
    with platform_resources(settings)["warehouse"].connect() as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert limit == "286.1 MiB"
