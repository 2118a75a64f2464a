"""Trace files in the landing directory, as an OpenTelemetry Collector's file exporter leaves them.

Per day, spans are ordered by end time (exporters send a span when it ends, so a conversation's
spans spread over several lines and interleave with others) and cut into batches of a few dozen
to a few hundred spans, one `ExportTraceServiceRequest` per line. Each day is one or more files;
extensions rotate through `.jsonl`, `.json` and `.jsonl.gz` so every ingestion path is exercised.
A conversation's spans all go to the file of the day it started.

Files appear atomically and durably (`write_trace_file`: a hidden temporary file, fsynced, then
renamed; a failed write leaves nothing), an identical file is left untouched (its mtime too), and
nothing but trace files is ever written here.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from orchestration.ingest.landing import write_trace_file
from orchestration.simulate.otlp import Span, export_request

FILE_PREFIX = "simulated-"
EXTENSIONS = (".jsonl", ".json", ".jsonl.gz")
MAX_SPANS_PER_FILE = 8000
BATCH_SPANS = (16, 200)


@dataclass(frozen=True)
class TraceFile:
    path: Path
    day: date
    lines: int
    spans: int


def _batches(spans: list[Span], rng: random.Random) -> list[list[Span]]:
    batches, i = [], 0
    while i < len(spans):
        size = rng.randint(*BATCH_SPANS)
        batches.append(spans[i : i + size])
        i += size
    return batches


def _encode(spans: list[Span], rng: random.Random, gzipped: bool) -> tuple[bytes, int]:
    batches = _batches(spans, rng)
    payload = b"".join(orjson.dumps(export_request(batch)) + b"\n" for batch in batches)
    # mtime=0 and no file name in the header: the same spans give the same bytes.
    return (gzip.compress(payload, compresslevel=6, mtime=0) if gzipped else payload), len(batches)


def _is_ours(path: Path) -> bool:
    return path.is_file() and path.name.startswith(FILE_PREFIX) and path.name.endswith(EXTENSIONS)


def write_trace_files(out_dir: Path, spans_by_day: dict[date, list[Span]], rng: random.Random) -> list[TraceFile]:
    """Write the day files; raise FileExistsError (writing nothing) if `out_dir` holds simulated
    files this run would not rewrite: mixing two simulations would contradict the ground truth."""
    planned: list[tuple[TraceFile, bytes]] = []
    for day in sorted(spans_by_day):
        spans = sorted(spans_by_day[day], key=lambda s: (s.end_ns, s.span_id))
        for part, first in enumerate(range(0, len(spans), MAX_SPANS_PER_FILE)):
            chunk = spans[first : first + MAX_SPANS_PER_FILE]
            extension = EXTENSIONS[(day.toordinal() + part) % len(EXTENSIONS)]
            payload, lines = _encode(chunk, rng, gzipped=extension.endswith(".gz"))
            path = out_dir / f"{FILE_PREFIX}{day.isoformat()}-{part:02d}{extension}"
            planned.append((TraceFile(path, day, lines, len(chunk)), payload))

    names = {f.path.name for f, _ in planned}
    stale = sorted(p.name for p in out_dir.iterdir() if _is_ours(p) and p.name not in names) if out_dir.is_dir() else []
    if stale:
        raise FileExistsError(
            f"{out_dir} holds {len(stale)} simulated trace file(s) from another simulation that this run would not "
            f"replace (e.g. {stale[0]}); remove them or choose an empty directory"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for trace_file, payload in planned:
        path = trace_file.path
        if path.exists() and path.read_bytes() == payload:
            continue
        write_trace_file(path, payload)
    return [f for f, _ in planned]
