"""What a daily run costs on top of history: day N+1 after 1 day and after H days.

    .venv/bin/python benchmarks/bench_incremental.py [--spans-per-day 100000] [--history 30]
                                                     [--repeat 3] [--quick] [--json PATH]

Simulates H+1 days of `spans-per-day` spans once, then materializes the history twice, once as
its last day only and once as all H days, each kept in JOURNEYS_BENCH_DIR (a month at full
volume is hours of work and tens of GB). Each run copies a history and times
`journeys materialize` of day H+1 on top of it, the same traffic both times. The target: the
run on H days costs at most 1.2x the run on 1 day, i.e. a daily run costs what a day costs, not
what the history costs. `--quick` is 0.1x the volume. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from day_runs import bench_dir, day, fresh, materialize, simulated_landing
from figures import Figure, load_average, print_figures, write_figures

TARGET_RATIO = 1.2


def history(landing: Path, spans_per_day: int, days: int, total_days: int) -> Path:
    """The data directory after materializing the `days` days before the last of the window."""
    root = bench_dir() / f"history-{spans_per_day}x{total_days}-last{days}"
    if not (root / "complete").exists():
        data = fresh(root / "data")
        first, last = day(total_days - 1 - days), day(total_days - 2)
        print(f"Materializing a {days}-day history ({first}..{last}) into {root} ...", file=sys.stderr)
        materialize(data, landing, first, last)
        (root / "complete").touch()
    return root / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans-per-day", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=30, help="days of history to compare with one day")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="0.1x the volume")
    parser.add_argument("--json", type=Path, help="also write the figures here (benchmarks/run_all.py reads them)")
    args = parser.parse_args()
    spans = args.spans_per_day // 10 if args.quick else args.spans_per_day
    total_days = args.history + 1
    landing, _ = simulated_landing(spans, days=total_days)
    next_day = day(total_days - 1)

    walls: dict[int, Figure] = {}
    for days in sorted({1, args.history}):
        source = history(landing, spans, days, total_days)
        walls[days] = figure = Figure(f"{spans:,} spans/day: day N+1 on {days} day(s) of history", "s")
        for run in range(args.repeat):
            data = bench_dir() / "runs" / f"incremental-{spans}-{days}"
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(source, data, symlinks=True)
            result = materialize(data, landing, next_day, next_day)
            figure.runs.append(round(result.seconds, 1))
            figure.note = "; ".join(f"{label} {seconds:.1f} s" for label, seconds in result.steps.items())
            print(f"  on {days} day(s), run {run + 1}: {result.seconds:.1f} s (load {load_average()})", file=sys.stderr)
    ratio = Figure(
        f"{spans:,} spans/day: day N+1 on {args.history} days / on 1 day", "x",
        [round(a / b, 2) for a, b in zip(walls[args.history].runs, walls[1].runs, strict=True)],
        target=f"<= {TARGET_RATIO}",
    )
    figures = [*walls.values(), ratio]

    print_figures(figures)
    if args.json:
        write_figures(args.json, f"incremental-{spans}x{args.history}", figures)


if __name__ == "__main__":
    main()
