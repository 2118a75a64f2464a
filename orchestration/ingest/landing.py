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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

TRACE_FILE_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")


@dataclass(frozen=True)
class LandingFile:
    """A trace file as the index knows it: a change of size or mtime means new content. When it
    was listed, also when its inode last changed (ctime: set when it is created, renamed into place
    or written, whatever mtime a copy keeps) and the directory it was listed in."""

    path: str
    size_bytes: int
    mtime_ns: int
    ctime_ns: int = field(default=0, compare=False)
    directory: str = field(default="", compare=False)


@dataclass(frozen=True)
class LandingDirectory:
    """A directory below the landing directory (or itself), as listed: path, inode and ctime."""

    path: str
    inode: int
    ctime_ns: int


@dataclass(frozen=True)
class LandingScan:
    files: list[LandingFile]  # sorted by path, as list_landing_files
    directories: list[LandingDirectory]


def is_trace_file(name: str) -> bool:
    return not name.startswith(".") and name.endswith(TRACE_FILE_SUFFIXES)


def list_landing_files(landing_dir: Path) -> list[LandingFile]:
    """Every trace file below `landing_dir`, sorted by path, each once (a missing directory has none).
    See `scan_landing`."""
    return scan_landing(landing_dir).files


def scan_landing(landing_dir: Path) -> LandingScan:
    """Every trace file below `landing_dir`, sorted by path, each once, and every directory walked
    (a missing directory has neither; one removed while listed is skipped).

    A broken symbolic link with a trace file's name (target missing, or a loop) is listed under
    the link's own path, with size 0 and the link's mtime: decoding it fails, so it becomes an
    `unreadable_file` quarantine row on the link's mtime day. Once the link resolves it is listed
    under its target's path, like any link, and read; the broken entry leaves the index."""
    found: dict[str, LandingFile] = {}
    directories: list[LandingDirectory] = []
    pending = [str(landing_dir)]
    while pending:
        directory = pending.pop()
        try:
            stat = os.stat(directory, follow_symlinks=False)
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        directories.append(LandingDirectory(directory, stat.st_ino, stat.st_ctime_ns))
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    pending.append(entry.path)
            elif not is_trace_file(entry.name):
                continue
            elif entry.is_file():
                try:
                    stat = entry.stat()
                    # A new link to an old file arrives when the link does.
                    link = entry.stat(follow_symlinks=False) if entry.is_symlink() else stat
                except FileNotFoundError:  # removed while we listed: it is simply not there
                    continue
                path = str(Path(entry.path).resolve())
                ctime = max(stat.st_ctime_ns, link.st_ctime_ns)
                found[path] = LandingFile(path, stat.st_size, stat.st_mtime_ns, ctime, directory)
            elif entry.is_symlink() and not os.path.exists(entry.path):
                try:
                    link = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                path = str(Path(entry.path).parent.resolve() / entry.name)
                found[path] = LandingFile(path, 0, link.st_mtime_ns, link.st_ctime_ns, directory)
    return LandingScan(sorted(found.values(), key=lambda f: f.path), directories)


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


def write_trace_file(path: Path, payload: bytes) -> None:
    """Durably write `payload` as the trace file `path` (replacing one of that name): a hidden
    temporary file beside it, locked while it is ours (see `claim`), fsynced, then renamed into
    place and the directory fsynced, so the file exists complete or not at all once this returns.
    A failed write (a full disk) removes its temporary file before raising; one a killed writer
    left is deleted by `remove_abandoned_temporaries` at the receiver's start-up."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "xb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # ours until renamed: see `claim`
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
