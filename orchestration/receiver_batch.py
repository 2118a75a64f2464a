"""The receiver's landing batches: many requests per landing file, each durable before it is answered.

A batch is a hidden file, `<date>/.otlp-http-<time>-<id>.jsonl.batch`, that requests are appended
to, one OTLP/JSON line each. Requests that arrive together share one write and one fsync (group
commit), and each is answered only after that fsync. After `max_requests` requests or
`max_seconds`, whichever comes first, the batch is renamed to its trace-file name
(`otlp-http-<time>-<id>.jsonl`), which ingestion and the landing sensor read; hidden names are never
read, so nobody sees a batch while it grows.

The receiver holds an exclusive lock on its open batch. At start-up, `recover` publishes every
batch no live receiver holds (a crash left it, and it holds acknowledged spans), cut after its
last complete line (a line torn by the crash was never acknowledged), and deletes single writes'
temporary files.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from orchestration.ingest.landing import (
    claim,
    fsync_directory,
    hidden_files,
    landing_name,
    remove_abandoned_temporaries,
)

BATCH_SUFFIX = ".batch"
log = logging.getLogger(__name__)


@dataclass
class _Batch:
    descriptor: int
    hidden: Path
    requests: int = 0
    size: int = 0
    deadline: float = 0.0  # time.monotonic() by which it is published


def _publish(hidden: Path) -> None:
    """Rename a batch to its trace-file name (no leading dot, no suffix), durably."""
    final = hidden.with_name(hidden.name[1 : -len(BATCH_SUFFIX)])
    os.replace(hidden, final)
    fsync_directory(final.parent)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def recover(landing_dir: Path) -> tuple[int, int]:
    """Publish the batches a crashed receiver left, delete abandoned temporary files; return
    how many of each."""
    published = 0
    for hidden in hidden_files(landing_dir, BATCH_SUFFIX):
        descriptor = claim(hidden)
        if descriptor is None:  # a live receiver's open batch
            continue
        try:
            content = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
            complete = content.rfind(b"\n") + 1
            if complete == 0:
                hidden.unlink()
                continue
            if complete < len(content):
                os.ftruncate(descriptor, complete)
            os.fsync(descriptor)
            _publish(hidden)
            published += 1
        finally:
            os.close(descriptor)
    return published, remove_abandoned_temporaries(landing_dir)


class LandingBatcher:
    """Appends request lines to the open batch and publishes batches; all file work happens in
    one writer task, so a batch has one writer."""

    def __init__(self, landing_dir: Path, *, prefix: str, max_requests: int, max_seconds: float) -> None:
        self.landing_dir = Path(landing_dir)
        self.prefix = prefix
        self.max_requests = max(1, max_requests)
        self.max_seconds = max_seconds
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._batch: _Batch | None = None

    @property
    def open_requests(self) -> int:
        """Requests in the open batch, not yet published."""
        return self._batch.requests if self._batch else 0

    async def append(self, line: bytes) -> None:
        """Return once `line` (one complete line, newline included) is fsynced in a batch; raise
        the `OSError` if it could not be written."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wake.set()
        await asyncio.shield(future)  # a client that hangs up does not undo the write

    async def close(self) -> None:
        """Write what is pending and publish the open batch."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._batch is not None:
            await run_in_threadpool(self._retire)

    async def _run(self) -> None:
        while not (self._closing and not self._pending):
            timeout = None if self._batch is None else max(0.0, self._batch.deadline - time.monotonic())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
            self._wake.clear()
            pending, self._pending = self._pending, []
            if pending:
                try:
                    errors = await run_in_threadpool(self._write, [line for line, _ in pending])
                except Exception as unexpected:  # a bug must fail these requests, not hang them
                    log.exception("landing batch write failed")
                    errors = [OSError(f"landing batch write failed: {type(unexpected).__name__}")] * len(pending)
                for (_, future), error in zip(pending, errors, strict=True):
                    if future.done():
                        continue
                    if error:
                        future.set_exception(error)
                    else:
                        future.set_result(None)
            if self._batch is not None and time.monotonic() >= self._batch.deadline:
                await run_in_threadpool(self._retire)

    def _write(self, lines: list[bytes]) -> list[OSError | None]:
        """Append `lines` to the open batch (opening and publishing batches as they fill), one
        fsync per batch touched; the error of each line that could not be written, else None."""
        results: list[OSError | None] = []
        while len(results) < len(lines):
            try:
                batch = self._batch or self._open()
                group = lines[len(results) : len(results) + self.max_requests - batch.requests]
                data = b"".join(group)
                try:
                    _write_all(batch.descriptor, data)
                    os.fsync(batch.descriptor)
                except OSError:
                    self._retire()  # cut back to the acknowledged lines; the next write starts a new batch
                    raise
                batch.requests += len(group)
                batch.size += len(data)
                results += [None] * len(group)
                if batch.requests >= self.max_requests:
                    self._retire()
            except OSError as error:
                log.warning("cannot write to the landing directory: %s", error.strerror or error)
                results += [error] * (len(lines) - len(results))
        return results

    def _open(self) -> _Batch:
        now = datetime.now(UTC)
        directory = self.landing_dir / now.strftime("%Y-%m-%d")
        directory.mkdir(parents=True, exist_ok=True)
        hidden = directory / f".{landing_name(self.prefix, now)}{BATCH_SUFFIX}"
        descriptor = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # ours while open: `recover` leaves it alone
            fsync_directory(directory)  # the batch's name must survive a crash, like its lines
        except OSError:
            os.close(descriptor)
            hidden.unlink(missing_ok=True)
            raise
        self._batch = _Batch(descriptor, hidden, deadline=time.monotonic() + self.max_seconds)
        return self._batch

    def _retire(self) -> None:
        """Publish the open batch's acknowledged lines (deleting it if it has none) and close it.
        Failing that, the file stays hidden and locked by nobody: the next start-up publishes it."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            os.ftruncate(batch.descriptor, batch.size)  # drop a partly written, unacknowledged tail
            if batch.requests:
                os.fsync(batch.descriptor)
                _publish(batch.hidden)
            else:
                batch.hidden.unlink(missing_ok=True)
        except OSError as error:
            log.error("cannot publish landing batch %s: %s", batch.hidden.name, error.strerror or error)
        finally:
            os.close(batch.descriptor)
