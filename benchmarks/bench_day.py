"""One daily partition end to end, and how its cost grows with the day's volume.

    .venv/bin/python benchmarks/bench_day.py [--spans 1000000] [--scales 0.1,1,3] [--repeat 3]
                                             [--quick] [--json PATH]

For each scale, simulates one day of `scale x spans` spans once (cached in JOURNEYS_BENCH_DIR),
then `repeat` times materializes it with `journeys materialize` into a fresh warehouse, Dagster
home and serving directory: ingest -> quality gates -> evaluators -> dbt -> serving snapshot.
Reports the wall time and the peak RSS of the whole process tree (summed, sampled every 0.2 s),
each Dagster run's seconds, and whether cost grows linearly (seconds per million spans at each
scale). Targets, for the full-volume day (1M spans): <= 120 s and <= 3 GB. `--quick` is 0.1x the
volume. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from day_runs import bench_dir, day, fresh, materialize, simulated_landing
from figures import Figure, load_average, print_figures, write_figures

FULL_DAY_SPANS = 1_000_000
TARGET_SECONDS = 120
TARGET_RSS_GB = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=FULL_DAY_SPANS, help="spans in the 1x day")
    parser.add_argument("--scales", default="0.1,1,3", help="multiples of --spans to measure (growth)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-warehouse runs per scale")
    parser.add_argument("--quick", action="store_true", help="0.1x the volume")
    parser.add_argument("--json", type=Path, help="also write the figures here (benchmarks/run_all.py reads them)")
    args = parser.parse_args()
    base = args.spans // 10 if args.quick else args.spans
    scales = [float(s) for s in args.scales.split(",")]

    figures: list[Figure] = []
    per_million: dict[float, float] = {}
    for scale in scales:
        spans = round(base * scale)
        landing, span_count = simulated_landing(spans, days=1)
        wall, rss = Figure(f"day of {span_count:,} spans: wall time", "s"), Figure(
            f"day of {span_count:,} spans: peak RSS of the process tree", "GB")
        if spans == FULL_DAY_SPANS:
            wall.target, rss.target = f"<= {TARGET_SECONDS}", f"<= {TARGET_RSS_GB}"
        steps: dict[str, list[float]] = {}
        for run in range(args.repeat):
            data = fresh(bench_dir() / "runs" / f"day-{spans}")
            result = materialize(data, landing, day(0), day(0))
            wall.runs.append(round(result.seconds, 1))
            rss.runs.append(round(result.peak_rss_bytes / 1e9, 2))
            for label, seconds in result.steps.items():
                steps.setdefault(label, []).append(seconds)
            print(f"  {span_count:,} spans, run {run + 1}: {result.seconds:.1f} s, "
                  f"{result.peak_rss_bytes / 1e9:.2f} GB (load {load_average()})", file=sys.stderr)
        wall.note = "; ".join(f"{label} {statistics.median(s):.1f} s" for label, s in steps.items())
        figures += [wall, rss]
        per_million[scale] = wall.median / (span_count / 1e6)

    if len(per_million) > 1:
        ordered = sorted(per_million)
        figures.append(Figure(
            "growth: seconds per million spans at the largest scale / at the smallest", "x",
            [round(per_million[ordered[-1]] / per_million[ordered[0]], 2)],
            note=", ".join(f"{s:g}x: {per_million[s]:.0f} s per million spans" for s in ordered)
            + " (1.0 is linear; below 1, the fixed cost of a run is amortised)",
        ))

    print_figures(figures)
    if args.json:
        write_figures(args.json, "day", figures)


if __name__ == "__main__":
    main()
