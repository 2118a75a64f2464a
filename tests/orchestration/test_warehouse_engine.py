"""JOURNEYS_WAREHOUSE_ENGINE: the settings `journeys config` shows, and the warehouse resource
that, with spark, exports what the assets write to the lake and reads the day back from it."""

from datetime import date, datetime

import pyarrow as pa
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.defs.resources import WarehouseResource
from orchestration.settings import Settings
from orchestration.warehouse import replace_partition

DAY = date(2026, 11, 2)


def _config_lines(monkeypatch, tmp_path, **env: str) -> dict[str, str]:
    monkeypatch.setenv("JOURNEYS_DATA_DIR", str(tmp_path))
    for name in ("JOURNEYS_WAREHOUSE_ENGINE", "JOURNEYS_LAKE_DIR", "JOURNEYS_SPARK_MASTER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in result.output.splitlines()}


def test_config_shows_the_engine_the_lake_and_the_master_with_their_defaults(monkeypatch, tmp_path):
    lines = _config_lines(monkeypatch, tmp_path)
    assert lines["JOURNEYS_WAREHOUSE_ENGINE"] == "duckdb  [default]"
    assert lines["JOURNEYS_LAKE_DIR"] == f"{tmp_path}/lake  [default]"
    assert lines["JOURNEYS_SPARK_MASTER"] == "local[*]  [default]"


def test_config_shows_the_spark_engine_when_set(monkeypatch, tmp_path):
    lines = _config_lines(
        monkeypatch, tmp_path, JOURNEYS_WAREHOUSE_ENGINE="spark", JOURNEYS_SPARK_MASTER="spark://master:7077"
    )
    assert lines["JOURNEYS_WAREHOUSE_ENGINE"] == "spark  [environment]"
    assert lines["JOURNEYS_SPARK_MASTER"] == "spark://master:7077  [environment]"


def test_an_unknown_engine_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("JOURNEYS_WAREHOUSE_ENGINE", "postgres")
    with pytest.raises(ValueError, match="JOURNEYS_WAREHOUSE_ENGINE='postgres': expected one of duckdb, spark"):
        Settings.from_env()


def _conversations(day: date, ids: list[str]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "conversation_id": c,
                "stage": "payment",
                "turns": [{"role": "customer", "text": "hello", "ts": datetime(2026, 11, 2, 9)}],
                "partition_date": day,
                "ingested_at": datetime(2026, 11, 3),
            }
            for c in ids
        ]
    )


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_quality_gates_read_the_day_from_the_engine_that_holds_it(tmp_path, engine):
    resource = WarehouseResource(
        path=str(tmp_path / "w.duckdb"),
        engine=engine,
        lake_dir=str(tmp_path / "lake"),
        data_dir=str(tmp_path),
    )
    with resource.connect() as con:
        replace_partition(con, "conversations", DAY, _conversations(DAY, ["a", "b"]))
    assert (tmp_path / "lake" / "raw" / "conversations").exists() == (engine == "spark")
    day = resource.day_conversations(DAY)
    assert sorted(day["conversation_id"]) == ["a", "b"]
    assert "turns" not in day.columns and set(day["partition_date"].astype(str)) == {"2026-11-02"}
