"""Simulated days cached on disk, and `journeys materialize` runs timed and memory-sampled.

The benchmarks of a whole daily partition share these helpers. Simulated landing directories and
materialized histories are kept in `JOURNEYS_BENCH_DIR` (default `$JOURNEYS_DATA_DIR/bench`), because a month
at full volume takes far longer to build than the day measured on top of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from process_tree import PeakTreeRss

from orchestration.settings import Settings
from orchestration.simulate import GroundTruth, simulate

BENCH_START = date(2026, 10, 1)  # a fixed window in the past: every day is a valid partition
_STEP = re.compile(r"^(?P<label>.+?)\s+(?P<status>ok|FAILED)\s+(?P<seconds>[\d.]+)s\b")


def bench_dir() -> Path:
    return Settings.from_env().bench_dir


def simulated_landing(spans_per_day: int, days: int, seed: int = 7) -> tuple[Path, int]:
    """`days` days of `spans_per_day` spans from BENCH_START, simulated once and then reused; and
    how many spans they hold. The count is kept beside the ground truth, which is not read back:
    loading a month's ground truth took 6 GB in the benchmark's own process."""
    root = bench_dir() / f"landing-{spans_per_day}x{days}-seed{seed}"
    truth_path, count_path = root / "truth.json", root / "span_count"
    if not truth_path.exists():
        print(f"Simulating {spans_per_day:,} spans a day over {days} day(s) into {root} ...", file=sys.stderr)
        result = simulate(root / "landing", journeys=None, spans_per_day=spans_per_day, start=BENCH_START,
                          days=days, seed=seed, progress=True, truth_path=truth_path)
        count_path.write_text(str(result.truth.span_count))
    if not count_path.exists():  # simulated before the count was kept
        count_path.write_text(str(GroundTruth.read(truth_path).span_count))
    return root / "landing", int(count_path.read_text())


@dataclass(frozen=True)
class Materialized:
    seconds: float
    peak_rss_bytes: int
    steps: dict[str, float]  # each Dagster run of `journeys materialize` and its seconds
    output: str


def platform_env(data_dir: Path, landing: Path) -> dict[str, str]:
    return {
        **os.environ,
        "JOURNEYS_DATA_DIR": str(data_dir),
        "JOURNEYS_LANDING_DIR": str(landing),
        "JOURNEYS_SERVING_DIR": str(data_dir / "serving"),
        "JOURNEYS_WAREHOUSE": str(data_dir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "JOURNEYS_PARTITIONS_START": BENCH_START.isoformat(),
        "JOURNEYS_EVAL_ENGINE": "local",
    }


def materialize(data_dir: Path, landing: Path, first: date, last: date) -> Materialized:
    """`journeys materialize --start first --end last` in a child process: wall time, the peak of
    its process tree's summed RSS, and each run's seconds as the command printed them."""
    command = [str(Path(sys.executable).with_name("journeys")), "materialize", "--start", first.isoformat(),
               "--end", last.isoformat()]
    started = time.perf_counter()
    with subprocess.Popen(command, env=platform_env(data_dir, landing), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as child, PeakTreeRss(child.pid) as peak:
        output, _ = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}):\n{output[-4000:]}")
    steps = {_step_name(m["label"]): float(m["seconds"]) for line in output.splitlines() if (m := _STEP.match(line))}
    return Materialized(seconds, peak.bytes, steps, output)


def _step_name(label: str) -> str:
    """A run's label without its dates: a day's run ingests it and runs its quality gates."""
    label = label.strip()
    if label[:1].isdigit():
        return "ingest and quality gates"
    return label.split(" 20", 1)[0]


def day(offset: int) -> date:
    return BENCH_START + timedelta(days=offset)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
