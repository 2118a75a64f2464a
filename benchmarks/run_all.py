"""`make bench` / `make bench-quick`: every benchmark, a table, docs/benchmarks.md and results.json.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

Runs each benchmark script of this directory in a child process with `--json` (and `--quick` at
0.1x the volume), then reports, for each figure, the median and the min-max of its runs (3 runs;
a script that reports fewer is run again until it has them), its target, and whether the median
meets it. `benchmarks/analysis.md` (profiles of the slowest steps, what was tried) is appended to
docs/benchmarks.md as it is. Not pytest and not part of `make test`: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from figures import Figure, load_average, machine, read_figures

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNS = 3
SGD = ROOT.parent / "shared" / "data" / "sgd_dev" / "dialogues.jsonl"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: tuple[str, ...] = ()

    def argv(self, quick: bool) -> list[str]:
        return [f"benchmarks/{self.script}", *self.args, *(["--quick"] if quick else [])]


def benchmarks() -> list[Benchmark]:
    """Every benchmark in the order it runs; the receiver's and Spark's when their scripts exist."""
    planned = [
        Benchmark("evaluators", "bench_evals.py", ("--sgd", os.path.relpath(SGD, ROOT)) if SGD.exists() else ()),
        Benchmark("ingestion", "bench_ingest.py", ("--spans", "1000000")),
        Benchmark("receiver", "bench_receiver.py"),
        Benchmark("spark", "bench_spark.py"),
        Benchmark("one day end to end, growth", "bench_day.py"),
        Benchmark("incremental, 30 days at 100k spans/day", "bench_incremental.py",
                  ("--spans-per-day", "100000", "--history", "30")),
        Benchmark("incremental, 7 days at full volume", "bench_incremental.py",
                  ("--spans-per-day", "1000000", "--history", "7")),
        Benchmark("dashboards", "bench_app.py"),
        Benchmark("dashboards in Chromium", "bench_render.py"),
    ]
    return [b for b in planned if (HERE / b.script).exists()]


@dataclass
class Outcome:
    benchmark: str
    command: str
    seconds: float
    load: str
    figures: list[Figure]
    error: str = ""


def run(benchmark: Benchmark, quick: bool) -> Outcome:
    """The benchmark's figures, its runs merged by figure name over as many invocations as it
    takes for each figure to have RUNS runs (at most RUNS invocations)."""
    merged: dict[str, Figure] = {}
    started, command = time.perf_counter(), ""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for attempt in range(RUNS):
            json_path = Path(tmp) / f"{attempt}.json"
            command = shlex.join([".venv/bin/python", *benchmark.argv(quick)])
            print(f"$ {command}", flush=True)
            done = subprocess.run([sys.executable, *benchmark.argv(quick), "--json", str(json_path)], check=False,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode != 0 or not json_path.exists():
                return Outcome(benchmark.name, command, time.perf_counter() - started, load_average(),
                               list(merged.values()), f"exited with status {done.returncode}")
            for figure in read_figures(json_path)[1]:
                merged.setdefault(figure.name, Figure(figure.name, figure.unit, [], figure.target, figure.note))
                merged[figure.name].runs += figure.runs
            if all(len(f.runs) >= RUNS for f in merged.values()):
                break
    return Outcome(benchmark.name, command, time.perf_counter() - started, load_average(), list(merged.values()))


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _verdict(figure: Figure) -> str:
    return {True: "met", False: "**missed**", None: "–"}[figure.met()]


def table(outcomes: list[Outcome]) -> list[str]:
    rows = ["| benchmark | figure | median | min–max (runs) | target | verdict |", "|---|---|---|---|---|---|"]
    for outcome in outcomes:
        if outcome.error:
            rows.append(f"| {outcome.benchmark} | – | – | – | – | **failed**: {outcome.error} |")
        for f in outcome.figures:
            spread = f"{_number(min(f.runs))}–{_number(max(f.runs))} ({len(f.runs)})"
            rows.append(f"| {outcome.benchmark} | {f.name} | {_number(f.median)} {f.unit} | {spread} | "
                        f"{f.target or '–'} | {_verdict(f)} |")
    return rows


def versions() -> str:
    names = ("dagster", "dbt-core", "dbt-duckdb", "duckdb", "streamlit", "orjson")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def write_docs(outcomes: list[Outcome], quick: bool, elapsed: float, skipped: list[str]) -> None:
    command = shlex.join([".venv/bin/python", "benchmarks/run_all.py", *sys.argv[1:]])
    if not skipped:
        command = f"{'make bench-quick' if quick else 'make bench'}` (`{command}"
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed / 60:.0f} minutes. "
        + ("Quick mode: 0.1x the volume of every benchmark, so the targets set for a full-volume day are not judged here. "
           if quick else "")
        + "Each figure is the median of its runs, with the range; the verdict compares the median with the target.",
        "",
        f"- machine: {machine()}",
        f"- versions: {versions()}",
        *([f"- not run this time (`--only`): {', '.join(skipped)}"] if skipped else []),
        "",
        *table(outcomes),
        "",
        "Commands, and the load average (1, 5, 15 min) when each finished: the machine may be shared,",
        "and a loaded machine makes every figure slower and wider.",
        "",
        "```text",
        *(f"$ {o.command}    # {o.seconds:.0f} s, load {o.load}" for o in outcomes),
        "```",
        "",
        "Notes per figure:",
        "",
        *(f"- {o.benchmark}, {f.name}: {f.note}" for o in outcomes for f in o.figures if f.note),
    ]
    analysis = HERE / "analysis.md"
    if analysis.exists():
        lines += ["", analysis.read_text().rstrip()]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="0.1x the volume, a few minutes")
    parser.add_argument("--only", nargs="*", help="run only the benchmarks whose script is named (e.g. bench_day.py)")
    args = parser.parse_args()
    started = time.perf_counter()
    chosen = [b for b in benchmarks() if not args.only or b.script in args.only]
    skipped = [f"{b.name} ({b.script})" for b in benchmarks() if b not in chosen]
    outcomes = [run(b, args.quick) for b in chosen]
    elapsed = time.perf_counter() - started
    print("\n".join(table(outcomes)))
    write_docs(outcomes, args.quick, elapsed, skipped)
    results = {
        "command": "make bench-quick" if args.quick else "make bench",
        "machine": machine(),
        "versions": versions(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "benchmarks": [
            {**asdict(o), "figures": [{**asdict(f), "median": f.median, "met": f.met()} for f in o.figures]}
            for o in outcomes
        ],
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote docs/benchmarks.md and benchmarks/results.json in {elapsed / 60:.1f} minutes.")


if __name__ == "__main__":
    main()
