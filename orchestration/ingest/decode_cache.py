"""Decoded landing files kept between runs, so that a backfill decodes each file once.

A run indexes every new landing file, which means decoding it, but keeps in memory only the files
of its own day: the first run of a backfill decodes the whole window, and each later day would
decode its own files again. Instead, a run keeps a file it decoded that also feeds other days as
Arrow IPC files in `<warehouse file>.decoded/`, with the days still to serve, and those days' runs
memory-map it instead of decoding it.

An entry belongs to one version of a landing file (path, size, mtime): a changed file is decoded
afresh. It also belongs to one version of the decoding (`FORMAT`): an entry an older version of
this code wrote (other columns, or other values in them) is never read, but decoded afresh and
replaced. It is removed once each of its days has read it, and when its landing file is gone or
changed. A warehouse in memory keeps no cache.

Entries are redacted as everything ingestion keeps is (redact.py), and belong to the redaction's
settings too. With JOURNEYS_KEEP_RAW_PII the decoded files hold the originals, which live only in
raw.spans, so no cache is kept then (each day decodes its files again).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from orchestration.ingest.decode import (
    MESSAGE_SCHEMA,
    RESOURCE_SCHEMA,
    SCOPE_SCHEMA,
    SPAN_SCHEMA,
    DecodedFile,
    SpanTables,
)
from orchestration.ingest.landing import LandingFile
from orchestration.ingest.quarantine import QuarantineRecord
from orchestration.ingest.redact import FINDINGS_SCHEMA, ORIGINALS_SCHEMA, RedactionConfig
from orchestration.ingest.scratch import scalar

# The decoding an entry was written by. Raise the number when decode.py changes what it puts in
# the tables without changing their schemas; a change of schema changes the digest by itself.
# (Entries written before the format was recorded have none, so are never read either.)
_DECODING_VERSION = 4
_SCHEMAS = (SPAN_SCHEMA, RESOURCE_SCHEMA, SCOPE_SCHEMA, MESSAGE_SCHEMA, FINDINGS_SCHEMA, ORIGINALS_SCHEMA)
_DIGEST = hashlib.sha256(b"".join(schema.serialize().to_pybytes() for schema in _SCHEMAS)).hexdigest()
FORMAT = f"{_DECODING_VERSION}:{_DIGEST[:16]}"


class DecodeCache:
    """The decoded files kept beside one warehouse."""

    def __init__(self, directory: Path, redaction: RedactionConfig) -> None:
        self.directory = directory
        self.redaction = f"region={redaction.default_region}"

    @staticmethod
    def beside(con: duckdb.DuckDBPyConnection, redaction: RedactionConfig) -> DecodeCache | None:
        """The cache of the warehouse `con` is connected to, for files decoded with `redaction`;
        None for an in-memory database, or when originals are kept."""
        if redaction.keep_raw_pii:
            return None
        path = scalar(con, "select path from duckdb_databases() where database_name = current_database()")
        return DecodeCache(Path(f"{path}.decoded"), redaction) if path else None

    def get(self, file: LandingFile) -> DecodedFile | None:
        """The decoded file, if this version of it is kept."""
        meta = self._meta(file)
        if meta is None:
            return None
        try:
            tables = SpanTables.read_ipc(self._prefix(file))
        except (OSError, pa.ArrowInvalid):  # removed or damaged by hand: decode the file instead
            self._remove(self._stem(file.path))
            return None
        quarantine = [QuarantineRecord(**record) for record in meta["quarantine"]]
        return DecodedFile(Path(file.path), file.size_bytes, meta["line_count"], tables, quarantine)

    def put(self, file: LandingFile, decoded: DecodedFile, days: set[date]) -> None:
        """Keep `decoded` (this version of `file`) until each of `days` has read it."""
        if not days:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        # New files, never rewritten in place: a run may still have an older entry memory-mapped.
        self._remove(self._stem(file.path))
        decoded.tables.write_ipc(self._prefix(file))
        self._write_meta(
            file,
            {
                "line_count": decoded.line_count,
                "quarantine": [asdict(record) for record in decoded.quarantine],
                "days": sorted(days),
            },
        )

    def served(self, file: LandingFile, day: date) -> None:
        """`day` has read the file: forget the entry when no other day needs it."""
        meta = self._meta(file)
        if meta is None:
            return
        days = set(meta["days"]) - {day.isoformat()}
        if days:
            self._write_meta(file, meta | {"days": sorted(days)})
        else:
            self._remove(self._stem(file.path))

    def sweep(self, files: list[LandingFile]) -> None:
        """Remove the entries of files no longer in the landing directory in that version."""
        if not self.directory.is_dir():
            return
        current = {self._stem(f.path): f for f in files}
        for stem in {path.name.split(".")[0] for path in self.directory.iterdir()}:
            file = current.get(stem)
            if file is None or self._meta(file) is None:
                self._remove(stem)
        if not any(self.directory.iterdir()):
            shutil.rmtree(self.directory, ignore_errors=True)

    def _meta(self, file: LandingFile) -> dict | None:
        try:
            meta = orjson.loads((self.directory / f"{self._stem(file.path)}.json").read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        if (meta.get("format"), meta.get("redaction"), meta.get("path"), meta.get("size_bytes"), meta.get("mtime_ns")) != (
            FORMAT,
            self.redaction,
            file.path,
            file.size_bytes,
            file.mtime_ns,
        ):
            return None
        return meta

    def _write_meta(self, file: LandingFile, meta: dict) -> None:
        meta = meta | {
            "format": FORMAT,
            "redaction": self.redaction,
            "path": file.path,
            "size_bytes": file.size_bytes,
            "mtime_ns": file.mtime_ns,
        }
        path = self.directory / f"{self._stem(file.path)}.json"
        temporary = path.with_suffix(".json-new")
        temporary.write_bytes(orjson.dumps(meta))
        temporary.replace(path)  # a reader sees the old entry or the new one, never half

    def _prefix(self, file: LandingFile) -> Path:
        return self.directory / self._stem(file.path)

    def _remove(self, stem: str) -> None:
        for path in self.directory.glob(f"{stem}.*"):
            path.unlink(missing_ok=True)

    @staticmethod
    def _stem(path: str) -> str:
        return hashlib.sha256(path.encode()).hexdigest()[:32]
