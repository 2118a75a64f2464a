"""Decoding several landing files at once, in worker processes.

Decoding is Python (orjson's dicts walked once, decode.py), so it runs on one core however many
there are, while DuckDB, which does the rest, uses all of them. Files are independent, so a run
with several large files decodes them in a pool of processes, one per usable core. A worker
hands its tables back as an Arrow IPC file that this process memory-maps (and unlinks at once:
the mapping keeps it), rather than through the pool's pipe, whose copying and unpickling in this
process cost 0.2 s more for 200,000 spans.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from orchestration.ingest.decode import DecodedFile, SpanTables, decode_file
from orchestration.ingest.redact import RedactionConfig

# Starting a worker (a fresh interpreter importing pyarrow and orjson) takes a few tenths of a
# second: below this much input, decoding in-process is quicker.
PARALLEL_MIN_BYTES = 32 << 20


def decode_files(paths: list[Path], redaction: RedactionConfig | None = None) -> Iterator[DecodedFile]:
    """`decode_file` of each path (redacted as `redaction` says), in order; in worker processes
    when there are several files holding at least PARALLEL_MIN_BYTES and more than one usable core.

    Like any use of multiprocessing, this needs a script that calls it to guard its top level
    with `if __name__ == "__main__":` (Dagster, the CLI, pytest and notebooks do)."""
    workers = min(len(paths), usable_cores())
    if workers < 2 or _total_bytes(paths) < PARALLEL_MIN_BYTES:
        yield from (decode_file(path, redaction) for path in paths)
        return
    # forkserver, not fork: this process holds DuckDB's threads, which a fork would copy
    # mid-flight. The server imports decode.py once (besides __main__, its default), so that a
    # worker starts in milliseconds instead of importing pyarrow and orjson itself.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    with (
        tempfile.TemporaryDirectory(prefix="journeys-decode-") as directory,
        ProcessPoolExecutor(workers, mp_context=context) as pool,
    ):
        for shipped in pool.map(_decode_to_files, paths, [Path(directory)] * len(paths), [redaction] * len(paths)):
            yield shipped.open()


@dataclass(frozen=True)
class _Shipped:
    """A file decoded by a worker: its tables in IPC files, the rest as it is."""

    decoded: DecodedFile  # with empty tables
    prefix: Path  # of the IPC files (SpanTables.write_ipc)

    def open(self) -> DecodedFile:
        tables = SpanTables.read_ipc(self.prefix)
        for path in SpanTables.ipc_files(self.prefix):
            path.unlink()
        return replace(self.decoded, tables=tables)


def _decode_to_files(path: Path, directory: Path, redaction: RedactionConfig | None) -> _Shipped:
    decoded = decode_file(path, redaction)
    prefix = directory / uuid.uuid4().hex
    decoded.tables.write_ipc(prefix)
    return _Shipped(replace(decoded, tables=SpanTables.concat([])), prefix)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _total_bytes(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # decode_file quarantines it as unreadable
    return total
