"""`ingest_partition`: one day of landing files into the raw tables, replacing that day.

The run's stages and the scratch tables each hands the next are listed in scratch.py; this module
reads the files (stage 1), drives the index (stage 2) and hands the day to partition.py (stages 3
and 4).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
from tqdm import tqdm

from orchestration.ingest.consent import CONSENT_DEFAULTS
from orchestration.ingest.decode import DecodedFile, SpanTables
from orchestration.ingest.decode_cache import DecodeCache
from orchestration.ingest.decode_pool import decode_files
from orchestration.ingest.flatten import flatten, install_macros
from orchestration.ingest.index import (
    days_of_files,
    file_days,
    files_for_day,
    forget_missing,
    record_files,
    resolve_conversations,
    stale_files,
)
from orchestration.ingest.landing import LandingFile, list_landing_files
from orchestration.ingest.partition import replace_day
from orchestration.ingest.redact import RedactionConfig
from orchestration.ingest.report import IngestReport
from orchestration.ingest.scratch import (
    DAY_CONVERSATIONS,
    DAY_EVENTS,
    DAY_QUARANTINE,
    DAY_REDACTIONS,
    DAY_SPANS,
    PII_FINDINGS,
    PII_ORIGINALS,
    RUN_SPANS,
    append,
    drop_all,
    scalar,
)
from orchestration.settings import Settings
from orchestration.warehouse import ensure_raw_tables

# New files are indexed in batches of about this many bytes, so a first run over a large landing
# directory never holds it all in memory.
_INDEX_BATCH_BYTES = 256 << 20


class _Run:
    """The files one ingestion run reads; span, resource and scope keys are unique within the run."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        bar: tqdm,
        cache: DecodeCache | None,
        redaction: RedactionConfig | None = None,
    ) -> None:
        # No redaction: the run only tells which days files hold (the sensor) and writes nothing.
        self.con, self.bar, self.cache, self.redaction = con, bar, cache, redaction
        self.next_span_key = self.next_resource_key = self.next_scope_key = 0
        self.bytes_read = 0
        self.redaction_seconds = 0.0
        self.decoded: dict[str, DecodedFile] = {}  # decoded by this run, as decode.py keys them
        self.from_cache: list[LandingFile] = []

    def read(self, files: list[LandingFile]) -> list[DecodedFile]:
        """Stage 1: decode the files (redacted as they are read, decode.py), or take them from the
        decode cache, and append their spans to `RUN_SPANS` (flatten.py), what was redacted to
        `PII_FINDINGS` and, with JOURNEYS_KEEP_RAW_PII, the changed spans' originals to
        `PII_ORIGINALS`. The files come back with keys unique within the run. Writes `RUN_SPANS`,
        `PII_FINDINGS` and `PII_ORIGINALS`."""
        cached = {f.path: hit for f in files if self.cache and (hit := self.cache.get(f)) is not None}
        decoded = decode_files([Path(f.path) for f in files if f.path not in cached], self.redaction)
        read = []
        for file in files:
            self.bar.set_postfix_str(Path(file.path).name, refresh=False)
            if file.path in cached:
                self.from_cache.append(file)
                this = cached[file.path]
            else:
                this = self.decoded[file.path] = next(decoded)
                self.redaction_seconds += this.redaction_seconds
            tables = this.tables.keyed(self.next_span_key, self.next_resource_key, self.next_scope_key)
            self.next_span_key += tables.spans.num_rows
            self.next_resource_key += tables.resources.num_rows
            self.next_scope_key += tables.scopes.num_rows
            self.bytes_read += this.size_bytes
            read.append(replace(this, tables=tables))
            self.bar.update()
        tables = SpanTables.concat([r.tables for r in read])
        flatten(self.con, tables)
        for scratch, part in ((PII_FINDINGS, tables.findings), (PII_ORIGINALS, tables.originals)):
            self.con.register("_parts", part)
            try:
                append(self.con, scratch, "select * from _parts")
            finally:
                self.con.unregister("_parts")
        return read

    def keep(self, file: LandingFile, days: set[date]) -> None:
        """Keep a file this run decoded in the decode cache for `days` (other days' runs), and let
        go of this run's reference to it (so a first run holds one index batch at a time)."""
        decoded = self.decoded.pop(file.path, None)
        if self.cache and decoded is not None:
            self.cache.put(file, decoded, days)


def ingest_partition(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    day: date,
    *,
    progress: bool = False,
    settings: Settings | None = None,
) -> IngestReport:
    """Replace partition `day` (UTC) of raw.spans, raw.conversations, raw.journey_events and
    raw.ingest_quarantine with what the landing files hold for conversations starting that day.

    New or changed landing files are indexed first (`index.py`), so only the files that can hold
    the day's spans are read. Idempotent; a span delivered twice is stored once; late spans for an
    earlier day are taken in when that day is re-ingested. Landing files are only ever read.
    Bad input never raises: it is quarantined and counted in the report. Personal data is
    redacted before anything is written, and the day's effective consent computed (docs/privacy.md);
    `settings` default to the environment's.
    """
    started = time.perf_counter()
    report = IngestReport(day)
    ensure_raw_tables(con)
    install_macros(con)
    try:
        settings = settings or Settings.from_env()
        _ingest(con, Path(landing_dir), day, report, progress, settings)
    finally:
        drop_all(con)
    report.seconds = time.perf_counter() - started
    return report


def _ingest(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    day: date,
    report: IngestReport,
    progress: bool,
    settings: Settings,
) -> None:
    """The stages of scratch.py in order: writes `RUN_SPANS`, `PII_FINDINGS`, `PII_ORIGINALS`,
    the landing index and `TRACE_CONVERSATIONS`, then the `DAY_*` tables and the raw tables."""
    files = list_landing_files(landing_dir)
    by_path = {f.path: f for f in files}
    stale = stale_files(con, files)
    report.files_listed, report.files_indexed = len(files), len(stale)
    redaction = RedactionConfig(settings.pii_default_region, settings.keep_raw_pii)
    cache = DecodeCache.beside(con, redaction)
    with tqdm(total=len(stale), desc=f"Ingesting {day}", unit="file", disable=not progress) as bar:
        run = _Run(con, bar, cache, redaction)
        run.read([])  # creates `RUN_SPANS`, even for a day without files
        kept: dict[str, DecodedFile] = {}
        # Stages 1 and 2 for the new files, a batch at a time: read into `RUN_SPANS`, index, keep
        # in `RUN_SPANS` only the files this day needs.
        for batch in _batches(stale):
            read = run.read(batch)
            record_files(
                con,
                batch,
                {str(f.path): f.line_count for f in read},
                {str(f.path): len(f.quarantine) for f in read},
            )
            days = file_days(con, batch)
            for file in batch:
                run.keep(file, days[file.path][1] - {day})
            kept.update({str(f.path): f for f in read if day in days[str(f.path)][1]})
            _forget_spans(con, [str(f.path) for f in read if str(f.path) not in kept])
        report.files_forgotten = forget_missing(con, files)
        resolve_conversations(con)

        # Stage 1 again for the known files this day needs that are not read yet; `RUN_SPANS`
        # then holds exactly the day's files.
        relevant = files_for_day(con, day)
        _forget_spans(con, [path for path in kept if path not in relevant])
        missing = [by_path[path] for path in relevant if path not in kept]
        bar.total += len(missing)
        kept.update({str(f.path): f for f in run.read(missing)})
        for file, days_of_file in days_of_files(con, [f.path for f in missing]).items():
            run.keep(by_path[file], days_of_file - {day})

    day_files = [kept[path] for path in relevant]
    report.files_read, report.bytes_read = len(day_files), run.bytes_read
    report.files_from_cache = len(run.from_cache)
    report.redaction_seconds = run.redaction_seconds
    tables = SpanTables.concat([f.tables for f in day_files])
    # Stages 3 and 4: the `DAY_*` tables, written over the day.
    report.duplicate_spans, displaced = replace_day(
        con,
        day,
        tables,
        [r for f in day_files for r in f.quarantine],
        CONSENT_DEFAULTS[settings.consent_default],
    )
    # Days the new files add to, and days whose rows of this day's conversations were moved here.
    report.related_days = sorted(
        set().union(*days_of_files(con, [f.path for f in stale]).values(), displaced) - {day}
    )
    if cache:
        for file in run.from_cache:
            cache.served(file, day)
        cache.sweep(files)
    _count(con, report)


def _batches(files: list[LandingFile]) -> Iterator[list[LandingFile]]:
    batch: list[LandingFile] = []
    size = 0
    for file in files:
        batch.append(file)
        size += file.size_bytes
        if size >= _INDEX_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _forget_spans(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """Delete the spans of `paths` from `RUN_SPANS` (files read for the index, not for the day)."""
    if paths:
        con.register("_forget", pa.table({"path": paths}))
        con.execute(f"delete from {RUN_SPANS} where source_file in (select path from _forget)")
        con.unregister("_forget")


def _count(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """The day's counts for the report. Reads `DAY_SPANS`, `DAY_CONVERSATIONS`, `DAY_EVENTS`,
    `DAY_QUARANTINE` and `DAY_REDACTIONS`."""
    report.spans = scalar(con, f"select count(*) from {DAY_SPANS}")
    report.conversations = scalar(con, f"select count(*) from {DAY_CONVERSATIONS}")
    report.journey_events = scalar(con, f"select count(*) from {DAY_EVENTS}")
    by_reason = con.execute(
        f"select split_part(reason, ':', 1) as reason_kind, count(*) from {DAY_QUARANTINE} group by reason_kind"
    ).fetchall()
    report.quarantined_by_reason = dict(by_reason)
    report.quarantined = sum(report.quarantined_by_reason.values())
    report.redacted_by_type = dict(
        con.execute(f"select pii_type, sum(redacted_count)::integer from {DAY_REDACTIONS} group by pii_type").fetchall()
    )


def landing_file_days(path: Path) -> set[date]:
    """The partition days a landing file contributes to, as the file alone tells them: the start
    days of its conversations, and the day its quarantined lines are reported on. (A file holding
    only the tail of a conversation begun in another file names the tail's day; ingesting that day
    lists the conversation's real day in `IngestReport.related_days`.)

    Never raises: a file that is gone has no days, a broken symbolic link the day of its own mtime
    (where ingestion reports it unreadable), and bad content is quarantined on the file's day."""
    path = Path(path)
    try:
        stat = path.stat()
        file = LandingFile(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        try:
            link = path.lstat()
        except OSError:
            return set()  # removed since it was listed
        file = LandingFile(str(path.parent.resolve() / path.name), 0, link.st_mtime_ns)
    return landing_files_days([file])[file.path]


def landing_files_days(files: list[LandingFile]) -> dict[str, set[date]]:
    """`landing_file_days` of each listed file, by path: read in batches, each in one in-memory
    database, rather than one database per file (each one's set-up is costly: docs/benchmarks.md)."""
    days: dict[str, set[date]] = {}
    for batch in _batches(files):
        with duckdb.connect() as con:
            install_macros(con)
            with tqdm(disable=True) as bar:
                _Run(con, bar, None).read(batch)
            days |= {path: contributes for path, (_, contributes) in file_days(con, batch).items()}
    return days
