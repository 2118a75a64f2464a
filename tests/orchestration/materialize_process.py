"""`journeys materialize` as a real child process, and waiting on what its runs do, for the tests
that kill or signal it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[2]
# A bound on how long a step of a one-day materialization may take to show up; the machine
# running the suite is shared, so it is generous.
WAIT_SECONDS = 600


def start_materialize(data: Path, day: str, *args: str, log: Path) -> subprocess.Popen:
    """`journeys materialize --start day --end day *args` with every setting under `data`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "JOURNEYS_DATA_DIR": str(data),
        "JOURNEYS_LANDING_DIR": str(data / "landing"),
        "JOURNEYS_WAREHOUSE": str(data / "warehouse.duckdb"),
        "JOURNEYS_SERVING_DIR": str(data / "serving"),
        "DAGSTER_HOME": str(data / "dagster_home"),
        "JOURNEYS_EVAL_ENGINE": "local",
    }
    command = [sys.executable, "-c", "from orchestration.cli import main; main()", "materialize"]
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*command, "--start", day, "--end", day, *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    """Poll `condition` until it holds; fail if the process exits first or it never does."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"journeys materialize exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def runs_of(instance: dg.DagsterInstance, pid: int) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(tags={"journeys/pid": str(pid)})))


def step_started(instance: dg.DagsterInstance, pid: int, step_prefix: str) -> bool:
    """True once a run of process `pid` has started a step whose key starts with `step_prefix`."""
    for run in runs_of(instance, pid):
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.STEP_START, limit=1000
        ).records
        if any((r.event_log_entry.step_key or "").startswith(step_prefix) for r in records):
            return True
    return False


def pool_state(instance: dg.DagsterInstance, pool: str = "warehouse") -> tuple[set[str], set[str]]:
    """(run ids holding a slot of `pool`, run ids waiting for one)."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    return {s.run_id for s in info.claimed_slots}, {p.run_id for p in info.pending_steps}
