"""The landing directory: which files in it are trace files, and how a new one is written.

Trace files are `*.json` / `*.jsonl`, optionally gzip-compressed (`*.json.gz`, `*.jsonl.gz`),
anywhere below the landing directory. Writers (the receiver, the file exporter) write a hidden
temporary file, fsync it and rename it into place, so a reader never sees half a file; names
starting with a dot are therefore never read; a writer that dies leaves its hidden file behind, which
`remove_abandoned_temporaries` deletes. A symbolic link to a file is read as its target; a
broken one is listed under its own name, so that it is quarantined with the reason rather than
silently passed over.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TRACE_FILE_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")


@dataclass(frozen=True)
class LandingFile:
    """A trace file as the index knows it: a change of size or mtime means new content."""

    path: str
    size_bytes: int
    mtime_ns: int


def is_trace_file(name: str) -> bool:
    return not name.startswith(".") and name.endswith(TRACE_FILE_SUFFIXES)


def list_landing_files(landing_dir: Path) -> list[LandingFile]:
    """Every trace file below `landing_dir`, sorted by path, each once (a missing directory has none).

    A broken symbolic link with a trace file's name (target missing, or a loop) is listed under
    the link's own path, with size 0 and the link's mtime: decoding it fails, so it becomes an
    `unreadable_file` quarantine row on the link's mtime day. Once the link resolves it is listed
    under its target's path, like any link, and read; the broken entry leaves the index."""
    found: dict[str, LandingFile] = {}
    pending = [landing_dir]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    pending.append(Path(entry.path))
            elif not is_trace_file(entry.name):
                continue
            elif entry.is_file():
                try:
                    stat = entry.stat()
                except FileNotFoundError:  # removed while we listed: it is simply not there
                    continue
                path = str(Path(entry.path).resolve())
                found[path] = LandingFile(path, stat.st_size, stat.st_mtime_ns)
            elif entry.is_symlink() and not os.path.exists(entry.path):
                try:
                    link = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                path = str(Path(entry.path).parent.resolve() / entry.name)
                found[path] = LandingFile(path, 0, link.st_mtime_ns)
    return sorted(found.values(), key=lambda f: f.path)


def landing_name(prefix: str, now: datetime, suffix: str = ".jsonl") -> str:
    """A new trace file's name: the writer, the UTC time to the microsecond and a random part,
    so that concurrent writers never collide and a listing sorts by time."""
    return f"{prefix}-{now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:12]}{suffix}"


def fsync_directory(directory: Path) -> None:
    """Make a creation or rename in `directory` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def claim(path: Path) -> int | None:
    """An open, exclusively locked descriptor on `path`, or None when a live writer holds it (or it
    is gone). Writers hold this lock while a hidden file is theirs, so a cleaner never takes a
    file from under a running process, and a crashed one's lock is released by the kernel."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def hidden_files(landing_dir: Path, suffix: str) -> list[Path]:
    """Hidden files ending in `suffix` below `landing_dir` (writers' files in progress or abandoned)."""
    found = []
    for root, directories, names in os.walk(landing_dir):
        directories[:] = [d for d in directories if not d.startswith(".")]
        found += [Path(root) / name for name in names if name.startswith(".") and name.endswith(suffix)]
    return sorted(found)


def remove_abandoned_temporaries(landing_dir: Path) -> int:
    """Delete the temporary files of single writes that no live writer holds (left by a crash),
    and return how many: they were never renamed into place, so nobody was told they landed."""
    removed = 0
    for path in hidden_files(landing_dir, ".tmp"):
        descriptor = claim(path)
        if descriptor is None:
            continue
        try:
            path.unlink(missing_ok=True)
            removed += 1
        finally:
            os.close(descriptor)
    return removed


def write_landing_file(landing_dir: Path, payload: bytes, *, prefix: str, suffix: str = ".jsonl") -> Path:
    """Durably write `payload` as a new trace file below `landing_dir/<UTC date>/`: a hidden
    temporary file, fsynced, then renamed into place (and the directory fsynced), so the file
    either exists complete or not at all once this returns. A failed write removes its
    temporary file before raising."""
    now = datetime.now(UTC)
    directory = landing_dir / now.strftime("%Y-%m-%d")
    directory.mkdir(parents=True, exist_ok=True)
    name = landing_name(prefix, now, suffix)
    temporary = directory / f".{name}.tmp"
    final = directory / name
    try:
        with open(temporary, "xb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # ours until renamed: see `claim`
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(directory)
    return final
