"""A window's spans, day by day, held on disk until the day files are written.

A day's files need every span of that day (they are ordered by end time), and any journey can
add spans to any day of the window, so nothing can be written until the last journey is done.
Holding the whole window in memory grew without bound (8 GB for 3M spans); the spool keeps
encoded spans in memory only up to `FLUSH_SPANS`, appends them to one temporary file per day
as pickled batches, and hands back one day at a time. The temporary directory is removed when
the spool is closed (it is a context manager), also after an error.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Self

from orchestration.simulate.otlp import EncodedSpan

# Spans kept in memory before the spool writes them out: a few tens of MB of encoded spans.
FLUSH_SPANS = 20_000


class DaySpool:
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="journeys-simulate-"))
        self._buffer: dict[date, list[EncodedSpan]] = defaultdict(list)
        self._buffered = 0
        self.counts: Counter[date] = Counter()  # spans spooled per day

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def add(self, day: date, spans: Iterable[EncodedSpan]) -> None:
        buffer = self._buffer[day]
        before = len(buffer)
        buffer.extend(spans)
        added = len(buffer) - before
        self.counts[day] += added
        self._buffered += added
        if self._buffered >= FLUSH_SPANS:
            for buffered_day in list(self._buffer):
                self._flush(buffered_day)
            self._buffered = 0

    def days(self) -> list[date]:
        return sorted(self.counts)

    def read(self, day: date) -> list[EncodedSpan]:
        """A day's spans in the order they were added (what was written out, then the buffer)."""
        spans: list[EncodedSpan] = []
        path = self._path(day)
        if path.exists():
            with path.open("rb") as f:
                while True:
                    try:
                        spans += pickle.load(f)
                    except EOFError:
                        break
        return spans + self._buffer.get(day, [])

    def _flush(self, day: date) -> None:
        spans = self._buffer.pop(day)
        if spans:
            with self._path(day).open("ab") as f:
                pickle.dump(spans, f, protocol=pickle.HIGHEST_PROTOCOL)

    def _path(self, day: date) -> Path:
        return self._dir / f"{day.isoformat()}.pickle"
