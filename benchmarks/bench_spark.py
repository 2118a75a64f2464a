"""One simulated day through the whole pipeline on Spark (dbt-spark, local[2]) beside DuckDB.

    .venv/bin/python benchmarks/bench_spark.py [--journeys 400] [--quick] [--json PATH]

Simulates one day of traffic, then for each engine, in a fresh data directory and a child
process (as `journeys materialize` runs in production, each dbt command starting its own JVM
on Spark), times:

- materialize: `journeys materialize` for the day (ingestion, quality gates, evaluators, the
  partitioned dbt models, the cohort marts, the serving snapshot);
- dbt run: `dbt run` of the whole project again over the same raw data (the transformation
  alone: on Spark, JVM start, the lake's source tables and every model; the data tests, a few
  Spark jobs each, are left out).

Prints seconds, conversations per second and per second per executor core (local[2]: two
cores; DuckDB uses the same two), the command and the machine. Spark on two cores is slower
than DuckDB: the point of the Spark engine is that the same code scales out to a cluster.
Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT
from orchestration.simulate import simulate

DAY = date(2026, 11, 2)
SPARK_CORES = 2
BIN = Path(sys.executable).parent


def _env(data: Path, engine: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")}
    return env | {
        "JOURNEYS_DATA_DIR": str(data),
        # dbt, run directly below, reads these itself (journeys exports them to its own children).
        "JOURNEYS_WAREHOUSE": str(data / "warehouse.duckdb"),
        "JOURNEYS_LAKE_DIR": str(data / "lake"),
        "JOURNEYS_PARTITIONS_START": DAY.isoformat(),
        "JOURNEYS_WAREHOUSE_ENGINE": engine,
        "JOURNEYS_SPARK_MASTER": f"local[{SPARK_CORES}]",
        "JOURNEYS_EVAL_ENGINE": "local",
        "DAGSTER_HOME": str(data / "dagster_home"),
        "PYTHONPATH": str(REPO_ROOT),
    }


def _timed(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> float:
    started = time.monotonic()
    with open(log, "a") as out:
        result = subprocess.run(command, check=False, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed (exit {result.returncode}); see {log}")
    return time.monotonic() - started


def run_engine(engine: str, landing: Path, work: Path) -> dict[str, float | int]:
    data = work / engine
    (data / "landing").mkdir(parents=True)
    for path in landing.iterdir():
        (data / "landing" / path.name).symlink_to(path)
    env, log = _env(data, engine), work / f"{engine}.log"
    materialize = _timed(
        [str(BIN / "journeys"), "materialize", "--start", DAY.isoformat(), "--end", DAY.isoformat()],
        env,
        REPO_ROOT,
        log,
    )
    dbt_run = _timed(
        [
            str(BIN / "dbt"),
            "run",
            "--project-dir",
            ".",
            "--profiles-dir",
            ".",
            "--target-path",
            str(data / "target"),
            "--log-path",
            str(data / "dbt_logs"),
        ],
        env,
        REPO_ROOT / "dbt_project",
        log,
    )
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        conversations = con.execute("select count(*) from raw.conversations").fetchone()[0]
    return {
        "materialize_s": round(materialize, 1),
        "dbt_run_s": round(dbt_run, 1),
        "conversations": conversations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=400, help="journeys simulated starting on the day")
    parser.add_argument("--quick", action="store_true", help="a small day (60 journeys), for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    journeys = 60 if args.quick else args.journeys

    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work = Path(tmp)
        simulate(work / "landing", journeys=journeys, start=DAY, days=1, seed=7)
        results = {engine: run_engine(engine, work / "landing", work) for engine in ("duckdb", "spark")}

    print(f"One simulated day ({journeys} journeys), {DAY}; Spark local[{SPARK_CORES}] vs DuckDB")
    print(
        f"{'engine':8} {'conversations':>13} {'materialize s':>14} {'dbt run s':>12} "
        f"{'conv/s (run)':>13} {'conv/s/core':>12}"
    )
    for engine, r in results.items():
        rate = r["conversations"] / r["dbt_run_s"]
        r["conversations_per_s_dbt_run"] = round(rate, 2)
        r["conversations_per_s_per_core_dbt_run"] = round(rate / SPARK_CORES, 2)
        print(
            f"{engine:8} {r['conversations']:>13} {r['materialize_s']:>14} {r['dbt_run_s']:>12} "
            f"{rate:>13.2f} {rate / SPARK_CORES:>12.2f}"
        )
    ratio = results["spark"]["dbt_run_s"] / results["duckdb"]["dbt_run_s"]
    print(
        f"Spark's dbt run takes {ratio:.1f}x DuckDB's on this machine (no target: Spark is here to scale out)"
    )
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "journeys": journeys,
                    "day": DAY.isoformat(),
                    "spark_cores": SPARK_CORES,
                    "spark_vs_duckdb_dbt_run": round(ratio, 2),
                    "engines": results,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
