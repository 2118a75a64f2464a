"""The landing directory: which files in it are trace files, and how a new one is written.

Trace files are `*.json` / `*.jsonl`, optionally gzip-compressed (`*.json.gz`, `*.jsonl.gz`),
anywhere below the landing directory. Writers (the receiver, the file exporter) write a hidden
temporary file, fsync it and rename it into place, so a reader never sees half a file; names
starting with a dot are therefore never read. A symbolic link to a file is read as its target; a
broken one is listed under its own name, so that it is quarantined with the reason rather than
silently passed over.
"""

from __future__ import annotations

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


def write_landing_file(landing_dir: Path, payload: bytes, *, prefix: str, suffix: str = ".jsonl") -> Path:
    """Durably write `payload` as a new trace file below `landing_dir/<UTC date>/`: a hidden
    temporary file, fsynced, then renamed into place (and the directory fsynced), so the file
    either exists complete or not at all once this returns."""
    now = datetime.now(UTC)
    directory = landing_dir / now.strftime("%Y-%m-%d")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}-{now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:12]}{suffix}"
    temporary = directory / f".{name}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    final = directory / name
    os.replace(temporary, final)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return final
