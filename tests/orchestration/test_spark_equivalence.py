"""The same landing files through the same Dagster assets, once with dbt on DuckDB and once on
Spark (dbt-spark, session method, local[2]) over the Parquet lake: every mart must match, row
for row on keys, counts and texts, within 1e-9 on rates and averages.

The days include a blocked one (a conversation without journey.stage fails its gate) and a
late file re-materialized afterwards, which exercises the Spark side's partition replacement
(insert_overwrite after dropping the window's partitions). Four dbt invocations on Spark in all:
the range's partitioned models and marts, then the late day's.

Each dbt node on Spark is a few Spark jobs, so the Spark runs build the models only
(DBT_EXCLUDE_RESOURCE_TYPES): the project's 233 data tests and 11 unit tests run on the DuckDB
side here and in tests/dbt, and the marts they check are shown equal below."""

import datetime as dt
import json
import math
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from otlp_lines import conversation_line
from platform_settings import platform_settings

from orchestration import lake
from orchestration.cli import main
from orchestration.settings import spark_warehouse_dir
from orchestration.simulate import simulate

pytestmark = [pytest.mark.spark, pytest.mark.slow]

START, END = dt.date(2026, 11, 2), dt.date(2026, 11, 5)
BLOCKED_DAY = "2026-11-05"
LATE_DAY = "2026-11-03"
# Marts the simulated days must fill, so that the comparison compares rows (the cohort-level
# marts need more evidence per cell than a few days give, and may be empty on both engines).
NON_EMPTY = {"journeys", "conversation_evaluations", "daily_stage_metrics", "channel_mix", "stage_compliance"}
# Stamped with the build time; the same on no two builds.
BUILD_TIME_COLUMNS = {"generated_at"}
TOLERANCE = 1e-9


def _require_java() -> None:
    if shutil.which("java"):
        return
    message = (
        "no java on PATH: install a Java 17 runtime (`apt-get install openjdk-17-jre-headless`) for Spark"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing Java is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    _require_java()
    landing = tmp_path_factory.mktemp("landing")
    simulate(landing, journeys=80, start=START, days=3, seed=23)
    (landing / "agent-without-stage.jsonl").write_text(
        conversation_line("0badc0de" * 4, dt.datetime(2026, 11, 5, 15, 0), stage=None) + "\n"
    )
    return landing


def _materialize(data: Path, landing: Path, engine: str) -> list[str]:
    """The range (its last day blocked), then a late file for an earlier day and that day again."""
    shutil.copytree(landing, data / "landing")
    outputs = []
    with platform_settings(data), pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYS_WAREHOUSE_ENGINE", engine)
        if engine == "spark":
            mp.setenv("DBT_EXCLUDE_RESOURCE_TYPES", "test unit_test")
        mp.setenv("JOURNEYS_SPARK_MASTER", "local[2]")
        mp.delenv("JOURNEYS_LAKE_DIR", raising=False)
        result = CliRunner().invoke(
            main, ["materialize", "--start", START.isoformat(), "--end", END.isoformat()]
        )
        assert result.exit_code == 1, result.output  # the blocked day
        assert "journey_fields_present failed" in result.output
        outputs.append(result.output)
        (data / "landing" / "late.jsonl").write_text(
            conversation_line("1a7e" * 8, dt.datetime(2026, 11, 3, 17, 0), journey_id="j-late") + "\n"
        )
        result = CliRunner().invoke(main, ["materialize", "--start", LATE_DAY, "--end", LATE_DAY])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return outputs


@pytest.fixture(scope="module")
def built(landing, tmp_path_factory) -> dict[str, Path]:
    data = {engine: tmp_path_factory.mktemp(engine) for engine in ("duckdb", "spark")}
    for engine, path in data.items():
        _materialize(path, landing, engine)
    return data


def _normalise(value):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def _sort_key(row: dict) -> str:
    return repr([round(v, 6) if isinstance(v, float) else v for _, v in sorted(row.items())])


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    cursor = con.execute(f"select * from marts.{table}")
    names = [d[0] for d in cursor.description]
    rows = [
        {n: _normalise(v) for n, v in zip(names, row) if n not in BUILD_TIME_COLUMNS}
        for row in cursor.fetchall()
    ]
    return sorted(rows, key=_sort_key)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOLERANCE
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _duckdb_marts(data: Path):
    return duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)


def test_the_raw_layer_is_a_hive_partitioned_lake(built):
    raw = built["spark"] / "lake" / "raw"
    for table in lake.PARTITIONED_TABLES:
        days = sorted(p.name for p in (raw / table).glob("partition_date=*"))
        assert all(list((raw / table / d).glob("part-*.parquet")) for d in days), table
    assert "partition_date=2026-11-02" in {p.name for p in (raw / "conversations").iterdir()}
    assert (raw / "landing_files" / "part-00000.parquet").exists()
    with _duckdb_marts(built["duckdb"]) as con:
        expected = con.execute("select count(*) from raw.conversations").fetchone()[0]
    with duckdb.connect() as files:
        got = files.execute(f"select count(*) from read_parquet('{raw}/conversations/*/*.parquet')").fetchone()[0]
    assert got == expected


def test_every_mart_built_on_spark_equals_the_duckdb_one(built):
    with (
        _duckdb_marts(built["duckdb"]) as reference,
        lake.tables_reader(spark_warehouse_dir(built["spark"]), "marts") as spark,
    ):
        tables = [
            r[0]
            for r in reference.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        spark_tables = [
            r[0]
            for r in spark.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        assert spark_tables == tables
        for table in tables:
            expected, got = _rows(reference, table), _rows(spark, table)
            assert len(got) == len(expected), table
            assert expected or table not in NON_EMPTY, (
                f"marts.{table} is empty: the comparison would prove nothing"
            )
            for want, have in zip(expected, got):
                assert want.keys() == have.keys(), table
                differing = {k: (want[k], have[k]) for k in want if not _same(want[k], have[k])}
                assert not differing, f"marts.{table}: {differing}"


def test_the_late_conversation_and_not_the_blocked_one_reached_the_spark_marts(built):
    with lake.tables_reader(spark_warehouse_dir(built["spark"]), "marts") as spark:
        journeys = {r[0] for r in spark.execute("select journey_id from marts.journeys").fetchall()}
        blocked = spark.execute(
            f"select count(*) from marts.conversation_evaluations where cast(started_at as date) = '{BLOCKED_DAY}'"
        ).fetchone()[0]
    assert "j-late" in journeys
    assert blocked == 0


def test_the_serving_snapshot_is_published_from_the_spark_marts(built):
    snapshots = {
        engine: json.loads((data / "serving" / "routing_signals.json").read_text())
        for engine, data in built.items()
    }
    assert [s.get("recommendation") for s in snapshots["spark"]["signals"]] == [
        s.get("recommendation") for s in snapshots["duckdb"]["signals"]
    ]
    spark_files = sorted(p.name for p in (built["spark"] / "serving" / "current").glob("*.parquet"))
    duckdb_files = sorted(p.name for p in (built["duckdb"] / "serving" / "current").glob("*.parquet"))
    assert spark_files == duckdb_files and spark_files
