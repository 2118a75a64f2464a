"""Dashboard cost over a long history: each page's data queries, p95.

    .venv/bin/python benchmarks/bench_app.py [--serving DIR] [--spans-per-day 100000] [--days 30]
                                             [--runs 20] [--quick] [--json PATH]

Reads a published serving snapshot: by default the one of bench_incremental.py's history
(`--days` days at `--spans-per-day`, built once in JOURNEYS_BENCH_DIR). Runs every page of the
Streamlit app with Streamlit's AppTest (the page script over the snapshot, no browser), `--runs`
times with Streamlit's data cache cleared first, adds up the time of the page's data queries
(every query goes through `app.data`'s one DuckDB entry point, timed here) and reports each
page's p95 against the 200 ms target, with the whole page script's p95 beside it. Rendering in
Chromium is bench_render.py's. `--quick` is 0.1x the volume. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from bench_incremental import history
from day_runs import simulated_landing
from figures import Figure, print_figures, write_figures
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
# The app is not an installed package: run from anywhere, like `streamlit run` (streamlit_app.py).
sys.path.insert(0, str(ROOT))

import app.data as app_data

APP = ROOT / "app" / "streamlit_app.py"
TARGET_SECONDS = 0.2


class _QueryClock:
    """Wraps `app.data._run`, where every page query runs, adding up its seconds."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._run = app_data._run

    def __call__(self, *args: object) -> object:
        started = time.perf_counter()
        self.calls += 1
        try:
            return self._run(*args)
        finally:
            self.seconds += time.perf_counter() - started


def page_seconds(page: str, runs: int) -> tuple[list[float], list[float], int]:
    """Per run of `page` (after the app's landing page, with a cold data cache): the seconds of
    its data queries, and of the whole page script; and how many queries a run makes."""
    queries, scripts = [], []
    clock = _QueryClock()
    app_data._run = clock  # type: ignore[assignment]
    try:
        for _ in range(runs):
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()
            st.cache_data.clear()
            clock.seconds, clock.calls = 0.0, 0
            started = time.perf_counter()
            if page == "overview":
                at.run()
            else:
                at.switch_page(f"app_pages/{page}.py").run()
            scripts.append(time.perf_counter() - started)
            queries.append(clock.seconds)
            if at.exception:
                raise RuntimeError(f"page {page} failed: {at.exception[0].message}")
    finally:
        app_data._run = clock._run
    return queries, scripts, clock.calls


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def add_snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the snapshot a dashboard benchmark reads, and `--quick`/`--json`."""
    parser.add_argument("--serving", type=Path, help="a serving directory (default: the benchmark history's)")
    parser.add_argument("--spans-per-day", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="0.1x the volume")
    parser.add_argument("--json", type=Path, help="also write the figures here (benchmarks/run_all.py reads them)")


def serving_from_arguments(args: argparse.Namespace) -> Path:
    """`--serving`, or the serving directory of bench_incremental.py's history of `--days` days at
    `--spans-per-day` (0.1x with `--quick`), built once in JOURNEYS_BENCH_DIR."""
    if args.serving is not None:
        return args.serving.resolve()
    spans = args.spans_per_day // 10 if args.quick else args.spans_per_day
    landing, _ = simulated_landing(spans, days=args.days + 1)
    return (history(landing, spans, args.days, args.days + 1) / "serving").resolve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_snapshot_arguments(parser)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    serving = serving_from_arguments(args)
    os.environ["JOURNEYS_SERVING_DIR"] = str(serving)

    figures = []
    for page in ["overview", *sorted(p.stem for p in (ROOT / "app" / "app_pages").glob("*.py") if p.stem != "overview")]:
        queries, scripts, calls = page_seconds(page, args.runs)
        figures.append(Figure(
            f"page {page}: data queries, p95 with a cold cache", "s", [round(p95(queries), 3)],
            target=f"<= {TARGET_SECONDS}",
            note=f"{len(queries)} runs over {serving}; {calls} queries a run; the whole page script: "
            f"p95 {p95(scripts):.2f} s",
        ))
        print(f"  {page}: queries p95 {p95(queries):.3f} s, script p95 {p95(scripts):.3f} s", file=sys.stderr)
    print_figures(figures)
    if args.json:
        write_figures(args.json, "app", figures)


if __name__ == "__main__":
    main()
