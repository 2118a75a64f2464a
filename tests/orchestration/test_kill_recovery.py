"""`kill -9` at any point of a materialization loses nothing and counts nothing twice: a day is
materialized by a `journeys materialize` killed during ingestion, then one killed during the
evaluators, one during dbt, one during the serving publish, and a last one that completes; every
mart then equals the marts of a clean run over the same traffic."""

import math
import shutil
import signal
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from materialize_process import runs_of, start_materialize, step_started, wait_for

from orchestration.simulate import simulate

DAY = "2026-11-02"
# The step each successive materialization is killed in: ingest, evaluators, dbt, publish.
KILL_POINTS = ("ingest_traces", "raw__evaluations", "dbt_journey_marts", "serving__snapshot")
# Columns that hold when a row was written, not what it says.
WALL_CLOCK_COLUMNS = {"generated_at", "published_at", "ingested_at", "evaluated_at"}

pytestmark = pytest.mark.slow


def _complete(data: Path, log: Path) -> None:
    process = start_materialize(data, DAY, log=log)
    assert process.wait(timeout=1800) == 0, log.read_text()


def _value(value):
    # Averages may differ in the last binary digit between two builds over the same rows.
    return round(value, 9) if isinstance(value, float) and math.isfinite(value) else value


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
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
            keep = [i for i, d in enumerate(cursor.description) if d[0] not in WALL_CLOCK_COLUMNS]
            rows = [tuple(_value(row[i]) for i in keep) for row in cursor.fetchall()]
            marts[table] = sorted(rows, key=repr)
    return marts


@pytest.fixture(scope="module")
def traffic(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("traffic") / "landing"
    simulate(landing, journeys=16, start=date.fromisoformat(DAY), days=1, seed=23)
    return landing


@pytest.fixture(scope="module")
def clean_marts(traffic, tmp_path_factory):
    data = tmp_path_factory.mktemp("clean")
    shutil.copytree(traffic, data / "landing")
    _complete(data, data / "materialize.log")
    return _marts(data / "warehouse.duckdb")


def test_killed_materializations_converge_on_the_clean_marts(traffic, clean_marts, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(traffic, data / "landing")
    (data / "dagster_home").mkdir(parents=True)
    shutil.copyfile(Path(__file__).resolve().parents[2] / "dagster.yaml", data / "dagster_home" / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        for point in KILL_POINTS:
            log = tmp_path / f"killed-in-{point}.log"
            victim = start_materialize(data, DAY, log=log)
            wait_for(lambda victim=victim, point=point: step_started(instance, victim.pid, point), victim, f"step {point}")
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed = [r for r in runs_of(instance, victim.pid) if not r.is_finished]
            assert killed, f"no run of the process killed in {point} was left in progress"
        _complete(data, tmp_path / "last.log")
        left = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert not left, "a killed run is still STARTED after the last materialization"

    marts = _marts(data / "warehouse.duckdb")
    assert marts.keys() == clean_marts.keys()
    for table, rows in clean_marts.items():
        assert marts[table] == rows, f"marts.{table} differs from the clean run's"
    assert any(clean_marts.values()), "the clean run built empty marts"
