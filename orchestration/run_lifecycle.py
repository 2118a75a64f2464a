"""The life of a run `journeys materialize` executes in its own process: who owns it, what
happens to it when that process is killed, and how Ctrl-C or SIGTERM ends it.

`journeys materialize` runs its jobs in-process, without a daemon or a run launcher, so nothing
in Dagster watches its worker: after `kill -9` the run stays STARTED and keeps its slot in the
`warehouse` pool, and every later run waits for that slot for ever. Each run is therefore tagged
with the process that executes it (pid, host and the process's start time, since pids are
reused), and the next `journeys materialize` on that host ends such orphans and frees their
slots before it starts.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Self, TypeVar

import dagster as dg

PID_TAG = "journeys/pid"
HOST_TAG = "journeys/host"
PROCESS_STARTED_TAG = "journeys/process_started"  # /proc start time, in clock ticks since boot

IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# Seconds a run gets to wind down after Ctrl-C or SIGTERM before it is marked canceled from
# outside; well inside the 10 s a service manager usually waits before SIGKILL.
STOP_GRACE_SECONDS = 6.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

T = TypeVar("T")


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a Linux process from /proc, or None when unknown there."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process, put on every run it executes."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    stat = _proc_stat(os.getpid())
    if stat is not None:
        tags[PROCESS_STARTED_TAG] = stat[1]
    return tags


def worker_is_gone(run: dg.DagsterRun, host: str) -> bool:
    """True when the process named by the run's tags runs on `host` and no longer exists: dead,
    a zombie, or its pid taken by a newer process. Runs from other hosts or without the tags
    (daemon-launched runs) are never judged here; run monitoring covers those."""
    if run.tags.get(HOST_TAG) != host or not run.tags.get(PID_TAG, "").isdigit():
        return False
    pid = int(run.tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, started = stat
    recorded = run.tags.get(PROCESS_STARTED_TAG)
    return state == "Z" or (recorded is not None and recorded != started)


@dataclass
class Recovery:
    """What `recover_orphaned_runs` did, in lines a user can read."""

    ended: list[str] = field(default_factory=list)
    freed: list[str] = field(default_factory=list)
    held_by_live_runs: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.ended + self.freed + self.held_by_live_runs


def _pools_of(storage) -> dict[str, set[str]]:
    """Run id -> the pools it holds a slot in or waits for."""
    pools: dict[str, set[str]] = {}
    for key in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(key)
        for run_id in {s.run_id for s in info.claimed_slots} | {p.run_id for p in info.pending_steps}:
            pools.setdefault(run_id, set()).add(key)
    return pools


def _holders(storage) -> set[str]:
    return {
        s.run_id
        for key in storage.get_concurrency_keys()
        for s in storage.get_concurrency_info(key).claimed_slots
    }


def recover_orphaned_runs(instance: dg.DagsterInstance) -> Recovery:
    """Mark failed every in-progress run whose worker process on this host is gone, then free the
    pool slots of every run that has ended (whoever launched it), and name the live runs that
    still hold a slot, since the next run will wait for them."""
    recovery = Recovery()
    host = socket.gethostname()
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS, tags={HOST_TAG: host})):
        run = record.dagster_run
        if not worker_is_gone(run, host):
            continue
        message = (
            f"The process that executed this run (pid {run.tags[PID_TAG]} on {host}) ended before the run "
            f"did, e.g. killed; marked {'canceled' if run.status == dg.DagsterRunStatus.CANCELING else 'failed'} "
            f"by journeys materialize (pid {os.getpid()})."
        )
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message)
            outcome = "CANCELED"
        else:
            instance.report_run_failed(run, message)
            outcome = "FAILURE"
        recovery.ended.append(
            f"Run {run.run_id[:8]} ({_describe(run)}) was left {run.status.value} by process "
            f"{run.tags[PID_TAG]}, which no longer exists: marked it {outcome}."
        )
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return recovery
    holders = _holders(storage)
    for run_id, pools in sorted(_pools_of(storage).items()):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            status = run.status.value if run else "deleted"
            recovery.freed.append(
                f"Freed the {', '.join(sorted(pools))} pool slot(s) of run {run_id[:8]} ({status})."
            )
        elif run_id in holders:
            recovery.held_by_live_runs.append(
                f"Run {run_id[:8]} ({_describe(run)}, {run.status.value}) holds a slot in the "
                f"{', '.join(sorted(pools))} pool: this materialization waits for it."
            )
    return recovery


def _describe(run: dg.DagsterRun) -> str:
    where = (
        f"pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}"
        if PID_TAG in run.tags
        else "launched by the daemon or UI"
    )
    partition = run.tags.get("dagster/partition")
    return f"{run.job_name}{' ' + partition if partition else ''}, {where}"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped the materialization; `exit_code` is 128 + the signal number."""

    def __init__(self, signum: int, runs: list[str], worker_stopped: bool):
        self.signum = signum
        self.runs = runs
        self.worker_stopped = worker_stopped
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def message(self) -> str:
        canceled = (
            f"run {', '.join(r[:8] for r in self.runs)} canceled and its pool slots freed"
            if self.runs
            else "no run was in progress"
        )
        return f"Stopped by {signal.Signals(self.signum).name}: {canceled}."


class StopOnSignal:
    """Ctrl-C and SIGTERM end the materialization within seconds, the run CANCELED.

    Dagster checks for interrupts only inside a step's compute: a run waiting for a pool slot
    ignores both signals. So each run executes in a worker thread (where Dagster installs no
    handlers) and the main thread keeps these: on a signal it marks the process's run CANCELING,
    raises Dagster's own interrupt in the worker (the same error Dagster raises in a step; the
    dbt integration forwards it to dbt), and if the worker has not wound down within
    STOP_GRACE_SECONDS, marks the run CANCELED itself. Either way the run's slots are freed."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance = instance
        self.signum: int | None = None
        self._worker: threading.Thread | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Self:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        if self._worker is None:  # between runs: nothing to cancel
            raise Interrupted(signum, [], worker_stopped=True)

    def run(self, work: Callable[[], T]) -> T:
        """`work()` (one in-process Dagster run) in a worker thread, stopped on a signal."""
        if self.signum is not None:
            raise Interrupted(self.signum, [], worker_stopped=True)
        result: list[T] = []
        errors: list[BaseException] = []

        def target() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                errors.append(exc)

        # A daemon thread: should it not wind down, the process can still exit.
        self._worker = threading.Thread(target=target, name="dagster-run", daemon=True)
        self._worker.start()
        try:
            while self._worker.is_alive() and self.signum is None:
                self._worker.join(0.2)
            if self.signum is not None:
                raise self._stop(self.signum)
        finally:
            self._worker = None
        if errors:
            raise errors[0]
        return result[0]

    def _own_runs(self) -> list[dg.DagsterRun]:
        tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
        return [
            r.dagster_run
            for r in self.instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS, tags=tags))
        ]

    def _stop(self, signum: int) -> Interrupted:
        assert self._worker is not None
        name = signal.Signals(signum).name
        runs = self._own_runs()
        for run in runs:
            self.instance.report_run_canceling(
                run, f"journeys materialize received {name}: stopping the run."
            )
        # The error lands in the worker at its next Python instruction (after a sleep or a
        # DuckDB call returns); a run waiting for a pool slot is inside such a sleep.
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self._worker.ident), ctypes.py_object(dg.DagsterExecutionInterruptedError)
        )
        self._worker.join(STOP_GRACE_SECONDS)
        for run in runs:
            current = self.instance.get_run_by_id(run.run_id)
            if current is not None and not current.is_finished:
                self.instance.report_run_canceled(
                    current,
                    f"journeys materialize received {name} and the run did not stop within {STOP_GRACE_SECONDS:.0f} s.",
                )
            self.instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        return Interrupted(signum, [r.run_id for r in runs], worker_stopped=not self._worker.is_alive())
