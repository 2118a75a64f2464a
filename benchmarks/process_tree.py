"""Peak memory of a process and all its descendants: the maximum over time of their summed RSS.

Sampled every 0.2 s from a background thread, with psutil when it is installed and from /proc
otherwise (Linux). A Dagster run forks step processes and dbt threads; the largest single process
understates what the machine must hold, so the tree's sum is what is reported.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Self

SAMPLE_SECONDS = 0.2
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # The command name (field 2) may hold spaces and parentheses: the parent pid follows the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _tree_rss_proc(root: int) -> int:
    children, total, todo = _children_by_parent(), 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and its descendants now."""
    try:
        import psutil
    except ImportError:
        return _tree_rss_proc(root)
    try:
        process = psutil.Process(root)
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class PeakTreeRss:
    """`with PeakTreeRss(pid) as peak: ...` then `peak.bytes`: the largest sample seen."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.bytes = max(self.bytes, tree_rss(self.root))
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
