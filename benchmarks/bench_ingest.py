"""Ingestion throughput beside a bare orjson parse of the same landing files.

    .venv/bin/python benchmarks/bench_ingest.py [--spans 100000] [--days 1] [--repeat 3] [--quick] [--json PATH]

Generates representative traffic with `journeys simulate` (traceAI, OpenInference and GenAI LLM
spans with cumulative histories, LiveKit and human-agent spans, CSAT answers; OTLP/JSON lines of
16-200 spans, `.jsonl`, `.json` and `.jsonl.gz` files), then times, on the same files:

- bare parse: read each file, gunzip, split lines, `orjson.loads` every line (and drop it), with
  Python's GC as it is by default, and again with it paused (the pure parse);
- ingest: `ingest_partition` for every day into a fresh DuckDB warehouse (index, decode with
  redaction of personal data, flatten, transcripts, the raw tables written);
- ingest without redaction: the same with the decoder's redaction left out (only here: ingestion
  itself has no way to turn it off). What redaction costs is the difference, printed as a share
  of the ingest time against its target (<= 15%), beside the seconds the decoders spent in it.

Both run in this process, which holds no simulated data (the simulator runs in a child process).
Prints spans/s and MB/s (of uncompressed OTLP/JSON) for each, the ratio against the target
(ingestion >= 0.5x the bare-parse rate), the range of the ratio over the runs (the machine may be
shared), the command and the machine. `--profile` adds where one ingestion's time goes: waiting
for decoded files, and each SQL statement. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import multiprocessing
import os
import platform
import shlex
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

import orchestration.ingest.load as ingest_load
from orchestration.ingest import ingest_partition
from orchestration.ingest.decode_pool import usable_cores
from orchestration.ingest.landing import list_landing_files
from orchestration.simulate import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figure, write_figures

SPANS_PER_JOURNEY = 16  # about what the demo scenario gives over one day; the actual count is printed
TARGET_RATIO = 0.5
REDACTION_TARGET = 0.15  # share of ingestion time spent redacting personal data (docs/privacy.md)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    return (
        f"{model}, {os.cpu_count()} cores ({usable_cores()} usable); "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, orjson {orjson.__version__}"
    )


def file_bytes(path: str) -> bytes:
    raw = Path(path).read_bytes()
    return gzip.decompress(raw) if path.endswith(".gz") else raw


def bare_parse(paths: list[str], *, gc_paused: bool = False) -> float:
    """Seconds to read, gunzip, split and orjson.loads every line. Python's cyclic GC walks the
    parsed trees as they grow, which is a large share of this; `gc_paused` measures without it,
    as the ingestion's decoder runs."""
    was_enabled = gc.isenabled()
    if gc_paused:
        gc.disable()
    started = time.perf_counter()
    try:
        for path in paths:
            for line in file_bytes(path).split(b"\n"):
                if line:
                    orjson.loads(line)
        return time.perf_counter() - started
    finally:
        if was_enabled:
            gc.enable()


def simulated_span_count(landing: Path, journeys: int, start: date, days: int, seed: int) -> int:
    return simulate(landing, journeys=journeys, start=start, days=days, seed=seed).span_count


def ingest_all(landing: Path, days: list[date], work: Path, run: str) -> tuple[float, float]:
    """Seconds to ingest every day, and the seconds the decoders spent redacting personal data
    (summed over the decode processes, so not a share of the wall time)."""
    warehouse = work / f"warehouse-{run}.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        started = time.perf_counter()
        redaction = sum(ingest_partition(con, landing, day).redaction_seconds for day in days)
        return time.perf_counter() - started, redaction


def ingest_unredacted(landing: Path, days: list[date], work: Path, run: str) -> float:
    """Seconds to ingest every day with the decoder's redaction left out."""
    decode_files = ingest_load.decode_files
    ingest_load.decode_files = lambda paths, redaction: decode_files(paths, None)
    try:
        return ingest_all(landing, days, work, run)[0]
    finally:
        ingest_load.decode_files = decode_files


class _TimedConnection:
    """A DuckDB connection that adds up the time of each SQL statement (by its first words)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.seconds: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any) -> Any:
        started = time.perf_counter()
        result = self._con.execute(sql, *args)
        self.seconds[" ".join(sql.split())[:72]] += time.perf_counter() - started
        return result


def profile(landing: Path, days: list[date], work: Path) -> None:
    """One ingestion of every day, with the wait for decoded files and each SQL statement timed."""
    decode_seconds = 0.0
    decode_files = ingest_load.decode_files

    def timed_decode(paths: list[Path], redaction: Any) -> Iterator[Any]:
        nonlocal decode_seconds
        decoded = decode_files(paths, redaction)
        while True:
            started = time.perf_counter()
            try:
                file = next(decoded)
            except StopIteration:
                return
            finally:
                decode_seconds += time.perf_counter() - started
            yield file

    ingest_load.decode_files = timed_decode
    try:
        with duckdb.connect(str(work / "profile.duckdb")) as raw:
            con = _TimedConnection(raw)
            started = time.perf_counter()
            for day in days:
                ingest_partition(con, landing, day)  # type: ignore[arg-type]
            total = time.perf_counter() - started
    finally:
        ingest_load.decode_files = decode_files
    sql = sum(con.seconds.values())
    print(
        f"profile: {total:.2f} s = decode {decode_seconds:.2f} + SQL {sql:.2f} + Python {total - decode_seconds - sql:.2f}"
    )
    for statement, seconds in sorted(con.seconds.items(), key=lambda item: -item[1])[:12]:
        print(f"  {seconds:6.2f}  {statement}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=100_000, help="about how many spans to generate")
    parser.add_argument(
        "--days", type=int, default=1, help="days the traffic spreads over (one partition each)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="also time decoding and each SQL statement")
    parser.add_argument("--quick", action="store_true", help="0.1x the spans")
    parser.add_argument("--json", type=Path, help="also write the figures here (benchmarks/run_all.py reads them)")
    args = parser.parse_args()
    if args.quick:
        args.spans //= 10

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        start = date(2026, 10, 5)
        journeys = max(1, round(args.spans / SPANS_PER_JOURNEY))
        print(f"Simulating {journeys:,} journeys over {args.days} day(s)...", file=sys.stderr)
        # In a child process: the simulator's heap left here made the GC-bound bare parse up to
        # 1.7 times slower, flattering the ratio.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            spans = child.submit(
                simulated_span_count, work / "landing", journeys, start, args.days, args.seed
            ).result()
        paths = [f.path for f in list_landing_files(work / "landing")]
        megabytes = sum(len(file_bytes(p)) for p in paths) / 1e6
        on_disk = sum(Path(p).stat().st_size for p in paths) / 1e6
        # Conversations may run past the window's last day: ingest every day a span starts on.
        days = [start + timedelta(days=k) for k in range(args.days + 1)]

        # Untimed: the first ingestion in a process starts the decoders' forkserver (a second or
        # so of imports), which only the first timed variant would otherwise pay.
        ingest_unredacted(work / "landing", days, work, "warm-up")
        parse_times, paused_times, ingest_times, unredacted_times = [], [], [], []
        for run in range(args.repeat):
            parse_times.append(bare_parse(paths))
            paused_times.append(bare_parse(paths, gc_paused=True))
            ingest_times.append(ingest_all(work / "landing", days, work, str(run)))
            unredacted_times.append(ingest_unredacted(work / "landing", days, work, f"unredacted-{run}"))
        parse, paused = min(parse_times), min(paused_times)
        ingest, redaction = min(ingest_times)
        unredacted = min(unredacted_times)
        if args.profile:
            profile(work / "landing", days, work)

    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(
        f"input:   {spans:,} spans in {len(paths)} files, {megabytes:.1f} MB of OTLP/JSON ({on_disk:.1f} MB on disk)"
    )
    print(f"{'':22}{'seconds':>9}{'spans/s':>12}{'MB/s':>9}")
    for name, seconds in (("bare parse", parse), ("bare parse, GC paused", paused), ("ingest", ingest)):
        print(f"{name:22}{seconds:9.2f}{spans / seconds:12,.0f}{megabytes / seconds:9.1f}")
    ratio = parse / ingest
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(
        f"ingest rate / bare-parse rate = {ratio:.2f} ({verdict} the {TARGET_RATIO}x target); best of {args.repeat}"
    )
    ratios = [p / i for p, (i, _) in zip(parse_times, ingest_times, strict=True)]
    print(f"ratio run by run: {min(ratios):.2f}-{max(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"ingest rate / GC-paused bare-parse rate = {paused / ingest:.2f}")
    share = max(0.0, ingest - unredacted) / ingest
    verdict = "meets" if share <= REDACTION_TARGET else "misses"
    shares = ", ".join(
        f"{max(0.0, i - u) / i:.1%}" for (i, _), u in zip(ingest_times, unredacted_times, strict=True)
    )
    print(
        f"redaction: best ingest {ingest:.2f} s, without redaction {unredacted:.2f} s: it costs {share:.1%} of"
        f" ingestion ({verdict} the <= {REDACTION_TARGET:.0%} target); run by run {shares};"
        f" the decoders spent {redaction:.2f} s of CPU in it"
    )
    cores = usable_cores()
    print(f"ingest: {spans / ingest / cores:,.0f} spans/s per core ({cores} usable cores)")
    if args.json:
        write_figures(args.json, "ingest", [
            Figure("ingestion / bare orjson parse of the same files", "x", [round(r, 3) for r in ratios],
                   target=f">= {TARGET_RATIO}", note=f"{spans:,} spans over {args.days} day(s), {megabytes:.0f} MB"),
            Figure("ingestion", "spans/s", [round(spans / t) for t, _ in ingest_times]),
            Figure("ingestion per core", "spans/s per core", [round(spans / t / cores) for t, _ in ingest_times],
                   note=f"the wall-time rate divided by the {cores} usable cores"),
            Figure("redaction's share of ingestion time", "%",
                   [round(100 * max(0.0, i - u) / i, 1) for (i, _), u in zip(ingest_times, unredacted_times, strict=True)],
                   target=f"<= {100 * REDACTION_TARGET:g}", note="ingest time with and without the decoder's redaction"),
        ])


if __name__ == "__main__":
    main()
