"""Which landing files arrived since the landing sensor last looked, kept in a bounded cursor.

A file has arrived when its inode changed (its ctime) since the last look: creating it, renaming
it into place, writing to it, `cp -p`, rsync and tar all set ctime to when they did it, whatever
mtime they keep. So the cursor need not list every file it has seen (which grew with every file
that landed); it holds, as JSON:

- `mark`: the time of the last look less MARGIN_NS. A file changed before it was already there
  when the last look listed the directory, so was seen then; one changed at or after it may not
  have been (a writer renaming into a directory already listed), so is looked at again.
- `recent`: digests of the files changed at or after the mark that the last look took already,
  so that they are not taken twice.
- `dirs`: digests of the most recently changed directories. A directory moved in whole (same
  file system) brings files whose ctimes are old; it is new to the cursor while its own ctime
  is recent, so all its files are taken.

Both lists are capped at MAX_REMEMBERED entries: beyond that a file or directory is taken once
more (an extra, idempotent run), never lost. The cursor stays under 64 KiB however many files land.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import orjson

from orchestration.ingest.landing import LandingDirectory, LandingFile, LandingScan

# How far before a look's start files still count as possibly unseen: the coarse clock file
# systems stamp ctimes with, and a writer renaming into a directory while it is being listed.
MARGIN_NS = 5_000_000_000
# Entries each list keeps at most: 1,000 digests of 16 hex digits are 19 KB of JSON.
MAX_REMEMBERED = 1_000
_FORMAT = 2  # the first cursor format was a JSON object of every path and its mtime:size


@dataclass(frozen=True)
class Arrivals:
    files: list[LandingFile]  # arrived since the last look (all of them on the first look)
    first_look: bool  # no usable cursor: nothing to compare with
    cursor: str  # what to remember for the next look


def arrivals(scan: LandingScan, cursor: str | None, now_ns: int, margin_ns: int = MARGIN_NS) -> Arrivals:
    """The files of `scan` that arrived since the look that wrote `cursor` (None or unreadable:
    the first look, every file), and the cursor for the next look, which listed `scan` from
    `now_ns` on (its mark is `margin_ns` before)."""
    state = _read(cursor)
    if state is None:
        arrived = scan.files
    elif state.get("format") != _FORMAT:  # a cursor of the first format: every path, as seen
        seen = {str(os.path.realpath(path)): fingerprint for path, fingerprint in state.items()}
        arrived = [f for f in scan.files if seen.get(f.path) != f"{f.mtime_ns}:{f.size_bytes}"]
    else:
        mark, recent, known = state["mark"], set(state["recent"]), set(state["dirs"])
        new_dirs = tuple(
            d.path for d in scan.directories if d.ctime_ns >= mark and _dir_digest(d) not in known
        )
        arrived = [
            f
            for f in scan.files
            if (f.ctime_ns >= mark and _file_digest(f) not in recent) or _below(f.directory, new_dirs)
        ]
    return Arrivals(arrived, state is None, _write(scan, now_ns - margin_ns))


def _read(cursor: str | None) -> dict[str, Any] | None:
    try:
        state = orjson.loads(cursor) if cursor else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(state, dict):
        return None
    if state.get("format") == _FORMAT and not (
        isinstance(state.get("mark"), int)
        and isinstance(state.get("recent"), list)
        and isinstance(state.get("dirs"), list)
    ):
        return None
    return state


def _write(scan: LandingScan, mark: int) -> str:
    recent = [_file_digest(f) for f in scan.files if f.ctime_ns >= mark][:MAX_REMEMBERED]
    latest = sorted(scan.directories, key=lambda d: d.ctime_ns, reverse=True)[:MAX_REMEMBERED]
    state = {"format": _FORMAT, "mark": mark, "recent": recent, "dirs": [_dir_digest(d) for d in latest]}
    return orjson.dumps(state).decode()


def _below(directory: str, new_dirs: tuple[str, ...]) -> bool:
    return any(directory == d or directory.startswith(d + os.sep) for d in new_dirs)


def _file_digest(file: LandingFile) -> str:
    return _digest(f"{file.path}\0{file.ctime_ns}\0{file.size_bytes}\0{file.mtime_ns}")


def _dir_digest(directory: LandingDirectory) -> str:
    return _digest(f"{directory.path}\0{directory.inode}")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(errors="surrogateescape")).hexdigest()[:16]
