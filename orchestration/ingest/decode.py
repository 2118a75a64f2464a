"""Decode OTLP/JSON landing files into flat Arrow tables of spans, resources, scopes and chat messages.

orjson parses each line, and one pass over its dicts writes the columns the SQL reads: ids, times,
kind, status, the attributes as one JSON object (what `raw.spans` stores, so it is never built
twice), events, links, traceState and flags as raw.spans stores them, the convention attributes
as a small JSON object (what flatten.py reads), and the flattened chat-message attributes.
Resources and instrumentation scopes are rows of their own, converted once each rather than once
per span. Arrow arrays are built once per file. The OTLP JSON mapping is checked as the values
are read (otlp_values.py): a span that breaks it is quarantined with the reason while its
siblings are kept, and the tolerated variants (enum names, int64s as JSON numbers, nested values)
cost nothing on the common path.

Decoding never raises on a file's content, whatever it holds: a span the checks above do not
explain but that still fails to convert is quarantined as `unconvertible` with the error, and the
rest of its line, its file and every other file are still read.
"""

from __future__ import annotations

import gc
import gzip
import logging
import os
import reprlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from orchestration.ingest.convention_values import convention_texts
from orchestration.ingest.conventions import FLAT_MESSAGE_PREFIXES
from orchestration.ingest.otlp_json import array_problem, object_problem, repeated
from orchestration.ingest.otlp_values import (
    MAX_NESTING_DEPTH,
    WrongValueType,
    check_message,
    check_scalar,
    encode_attributes,
    expect,
    json_type,
    text_of,
)
from orchestration.ingest.quarantine import RAW_TEXT_LIMIT, QuarantineRecord, Reason, bounded, reason_text
from orchestration.ingest.redact import (
    FINDINGS_SCHEMA,
    ORIGINALS_SCHEMA,
    Found,
    RedactionConfig,
    ValueRedactor,
    findings_table,
)

_log = logging.getLogger(__name__)

# JSON text, valid by construction (orjson wrote it). As Arrow's JSON extension type it reaches
# DuckDB as JSON, so storing it in raw.spans' JSON columns needs no cast (which parses it again).
_JSON = pa.json_(pa.large_string())
SPAN_SCHEMA = pa.schema(
    [
        ("span_key", pa.int64()),
        ("resource_key", pa.int64()),
        ("scope_key", pa.int64()),
        ("source_file", pa.dictionary(pa.int32(), pa.string())),
        ("source_line", pa.int32()),
        ("traceId", pa.string()),
        ("spanId", pa.string()),
        ("parentSpanId", pa.string()),
        ("name", pa.string()),
        ("kind", pa.int32()),
        ("startTimeUnixNano", pa.string()),
        ("endTimeUnixNano", pa.string()),
        ("statusCode", pa.int32()),
        ("statusMessage", pa.string()),
        ("attributes", _JSON),  # {key: plain value}
        ("conventions", _JSON),  # {key: text} of the convention attributes (convention_values.py)
        ("wrong_types", pa.string()),  # convention attributes of a wrong type
        ("events", _JSON),  # [{name, time, attributes}] (null when none)
        ("links", _JSON),  # [{trace_id, span_id, trace_state, attributes, flags}] (null when none)
        ("traceState", pa.string()),  # null when empty
        ("flags", pa.int64()),  # fixed32; null when 0 (which OTLP cannot tell from unset)
        ("duplicate_keys", pa.bool_()),  # an attribute key empty or repeated
        ("bad_int", pa.bool_()),  # an intValue that is not a 64-bit integer
    ]
)
# The columns decoding fills, in the order of a span row (the span key and file are added per file).
_SPAN_ROW = SPAN_SCHEMA.names[1:3] + SPAN_SCHEMA.names[4:]
RESOURCE_SCHEMA = pa.schema(
    [
        ("resource_key", pa.int64()),
        ("attributes", _JSON),
        ("conventions", _JSON),
        ("wrong_types", pa.string()),
        ("duplicate_keys", pa.bool_()),
        ("bad_int", pa.bool_()),
    ]
)
# One row per scopeSpans: its instrumentation scope (name, version, attributes as raw.spans keeps them).
SCOPE_SCHEMA = pa.schema(
    [("scope_key", pa.int64()), ("name", pa.string()), ("version", pa.string()), ("attributes", _JSON)]
)
MESSAGE_SCHEMA = pa.schema([("span_key", pa.int64()), ("key", pa.string()), ("text", pa.string())])


@dataclass(frozen=True)
class SpanTables:
    """The spans of some landing files, flat: what SQL sees as `_span_rows` etc. (flatten.py).
    Keys count from 0 in each decoded file; `keyed` makes them unique within a run."""

    spans: pa.Table  # SPAN_SCHEMA
    resources: pa.Table  # RESOURCE_SCHEMA
    scopes: pa.Table  # SCOPE_SCHEMA
    messages: pa.Table  # MESSAGE_SCHEMA: the flattened chat-message attributes (traceAI, OpenInference)
    findings: pa.Table  # redact.FINDINGS_SCHEMA: what redaction took out, per span
    originals: pa.Table  # redact.ORIGINALS_SCHEMA: with JOURNEYS_KEEP_RAW_PII only, what it changed

    @staticmethod
    def concat(parts: list[SpanTables]) -> SpanTables:
        empty = SpanTables(
            SPAN_SCHEMA.empty_table(),
            RESOURCE_SCHEMA.empty_table(),
            SCOPE_SCHEMA.empty_table(),
            MESSAGE_SCHEMA.empty_table(),
            FINDINGS_SCHEMA.empty_table(),
            ORIGINALS_SCHEMA.empty_table(),
        )
        return SpanTables(
            *(pa.concat_tables([getattr(p, f.name) for p in [empty, *parts]]) for f in fields(SpanTables))
        )

    def write_ipc(self, prefix: Path) -> None:
        """Write the tables as Arrow IPC files `<prefix>.<table>.arrow` (uncompressed, so that
        reading them back is a memory map)."""
        for f in fields(SpanTables):
            table: pa.Table = getattr(self, f.name)
            with (
                pa.OSFile(f"{prefix}.{f.name}.arrow", "wb") as sink,
                pa.ipc.new_file(sink, table.schema) as writer,
            ):
                writer.write_table(table)

    @staticmethod
    def read_ipc(prefix: Path) -> SpanTables:
        """The tables `write_ipc` wrote, memory-mapped (the mapping outlives a removal of the files)."""
        tables = {}
        for f in fields(SpanTables):
            with pa.memory_map(f"{prefix}.{f.name}.arrow") as source:
                tables[f.name] = pa.ipc.open_file(source).read_all()
        return SpanTables(**tables)

    @staticmethod
    def ipc_files(prefix: Path) -> list[Path]:
        """The files `write_ipc(prefix)` writes."""
        return [Path(f"{prefix}.{f.name}.arrow") for f in fields(SpanTables)]

    def keyed(self, first_span_key: int, first_resource_key: int, first_scope_key: int) -> SpanTables:
        """The same tables with span, resource and scope keys counting up from the given ones."""
        span_keys = pa.array(np.arange(first_span_key, first_span_key + self.spans.num_rows, dtype=np.int64))
        return SpanTables(
            self.spans.set_column(0, "span_key", span_keys)
            .set_column(1, "resource_key", pc.add(self.spans.column("resource_key"), first_resource_key))
            .set_column(2, "scope_key", pc.add(self.spans.column("scope_key"), first_scope_key)),
            self.resources.set_column(
                0, "resource_key", pc.add(self.resources.column(0), first_resource_key)
            ),
            self.scopes.set_column(0, "scope_key", pc.add(self.scopes.column(0), first_scope_key)),
            *(
                table.set_column(0, "span_key", pc.add(table.column(0), first_span_key))
                for table in (self.messages, self.findings, self.originals)
            ),
        )


@dataclass
class DecodedFile:
    """One landing file: its spans (flat) and the lines or spans set aside."""

    path: Path
    size_bytes: int
    line_count: int
    tables: SpanTables
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    redaction_seconds: float = 0.0  # of the decoding, spent redacting (redact.py)


def read_landing_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip (by name or by magic number)."""
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    return raw


def decode_file(path: Path, redaction: RedactionConfig | None = None) -> DecodedFile:
    """Decode one landing file, with its personal data redacted as it is read when `redaction` is
    given (only what writes nothing, the landing sensor, decodes without); never raises for bad
    content, which is quarantined instead."""
    source = str(path)
    try:
        size = path.stat().st_size
        data = read_landing_bytes(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        record = QuarantineRecord(source, None, reason_text(Reason.UNREADABLE_FILE, _unreadable(path, exc)), None)
        return DecodedFile(path, 0, 0, SpanTables.concat([]), [record])

    line_count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    decoder = _FileDecoder(source, None if redaction is None else ValueRedactor.for_config(redaction))
    try:
        with _gc_paused():
            _decode_lines(decoder, data)
            tables = decoder.tables()
    except MemoryError:
        raise  # not the content's fault: the file is read again by the next run
    except Exception as exc:  # noqa: BLE001 - a decoder bug: set the file aside, do not stop every day
        _log.exception("decoding %s failed; the file is quarantined as %s", source, Reason.UNCONVERTIBLE)
        record = QuarantineRecord(source, None, reason_text(Reason.UNCONVERTIBLE, _error_text(exc)), None)
        return DecodedFile(path, size, line_count, SpanTables.concat([]), [record])
    return DecodedFile(path, size, line_count, tables, decoder.quarantine, decoder.redaction_seconds)


def _decode_lines(decoder: _FileDecoder, data: bytes) -> None:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            # Only a file whose first line is broken can be one indented request.
            document = None if decoder.lines_seen else _pretty_printed(data)
            if document is not None:
                decoder.request(1, document)
                break
            decoder.bad_line(number, line, exc)
            continue
        decoder.request(number, doc)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _unreadable(path: Path, exc: Exception) -> str:
    """Why a landing file cannot be read; a broken symbolic link says where it points."""
    if isinstance(exc, OSError) and path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"broken symbolic link to {target}: {exc.strerror or exc}"
    return str(exc)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """orjson makes millions of small dicts and lists per file, none in a cycle; each batch of
    allocations would otherwise start a collection that walks all of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pretty_printed(data: bytes) -> Any:
    """A file holding one request spread over several lines (an indented export) is that one
    request, reported as line 1, rather than a quarantined fragment per line."""
    if b"\n" not in data.strip():
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


# orjson's message for a document nested past its 1,024 levels (about 340 AnyValue levels).
_ORJSON_DEPTH_ERROR = "depth limit exceeded"

# The span fields read on the common path; any other one is checked against the schema.
_HOT_SPAN_FIELDS = frozenset(
    {
        "traceId",
        "spanId",
        "parentSpanId",
        "name",
        "kind",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "attributes",
        "status",
        "events",
        "links",
        "traceState",
        "flags",
    }
)
_STRING_TYPES = frozenset({str, type(None)})
_SPAN_FIELD = Span.DESCRIPTOR.fields_by_camelcase_name
_EVENT_FIELD = Span.Event.DESCRIPTOR.fields_by_camelcase_name
_LINK_FIELD = Span.Link.DESCRIPTOR.fields_by_camelcase_name
_STATUS_CODE = Status.DESCRIPTOR.fields_by_name["code"]
_ATTRIBUTES = frozenset({"attributes"})
_EVENT_READ = frozenset({"attributes", "timeUnixNano"})
_STATUS_READ = frozenset({"code"})
_LINK_READ = frozenset({"attributes", "flags"})
_FIXED32 = range(1, 2**32)  # a flags value taken as it is (0 is stored as null)
# A cheap test on a span's attribute JSON before looking for flattened chat-message keys.
_MESSAGE_MARK = b"messages."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# 2000-01-01 and 2100-01-01 in Unix nanoseconds: outside them a time is implausible (flatten.py).
_PLAUSIBLE_NANOS = range(946684800000000000, 4102444800000000000)


class _FileDecoder:
    """Accumulates the rows of one file's spans, resources and messages, and its quarantine."""

    def __init__(self, source: str, redactor: ValueRedactor | None = None) -> None:
        self.source = source
        self.redactor = redactor
        self.lines_seen = 0
        self.spans: list[tuple[Any, ...]] = []
        self.resources: list[tuple[Any, ...]] = []
        self.scopes: list[tuple[Any, ...]] = []
        self.message_spans: list[int] = []
        self.message_keys: list[str] = []
        self.message_texts: list[str | None] = []
        self.quarantine: list[QuarantineRecord] = []
        # What redaction found, by span row and by resource row (a resource's count on each of its
        # spans), and with JOURNEYS_KEEP_RAW_PII the changed spans' attributes and events as read.
        self.found_spans: list[int] = []
        self.found: list[Found] = []
        self.resource_found: dict[int, Found] = {}
        self.originals: list[tuple[int, str | None, str | None]] = []
        self._redaction_started = 0.0 if redactor is None else redactor.seconds

    @property
    def redaction_seconds(self) -> float:
        """The seconds this file's redaction took (the redactor serves every file of the process)."""
        return 0.0 if self.redactor is None else self.redactor.seconds - self._redaction_started

    def _redacted(self, plain: dict[str, Any] | None, encoded: bytes | None, found: Found) -> tuple[Any, Any]:
        """Attributes and their JSON with personal data replaced (the JSON is written again only
        when something was)."""
        if self.redactor is None or plain is None:
            return plain, encoded
        clean = self.redactor.attributes(plain, found)
        return (plain, encoded) if clean is plain else (clean, orjson.dumps(clean))

    def bad_line(self, number: int, line: bytes, exc: orjson.JSONDecodeError) -> None:
        self.lines_seen += 1
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            self._reject(number, Reason.INVALID_UTF8, str(utf8_error), line)
            return
        if exc.msg == _ORJSON_DEPTH_ERROR:
            # Only a value nested far past MAX_NESTING_DEPTH gets there; without a parse, its
            # spans cannot be told apart, so the line is set aside whole.
            self._reject(number, Reason.NESTING_TOO_DEEP, f"the line nests deeper than the JSON parser reads ({exc})", line)
            return
        self._reject(number, Reason.INVALID_JSON, str(exc), line)

    def request(self, number: int, doc: Any) -> None:
        """One ExportTraceServiceRequest; parts not shaped like OTLP are quarantined as such."""
        self.lines_seen += 1
        if not isinstance(doc, dict):
            self._reject(
                number, Reason.NOT_OTLP, f"a request must be a JSON object, not {json_type(doc)}", doc
            )
            return
        resource_spans = doc.get("resourceSpans")
        if not isinstance(resource_spans, list):
            if resource_spans is None and doc.keys() <= {"resourceSpans"}:
                return  # `{}`: a request without spans
            problem = array_problem(resource_spans, "resourceSpans") or (
                "no resourceSpans list (expected an OTLP/JSON ExportTraceServiceRequest)"
            )
            self._reject(number, Reason.NOT_OTLP, problem, doc)
            return
        # The envelope's shape as the receiver checks it (otlp_json.envelope_problems); a bad part is
        # quarantined with its field named, and the rest of the line still read.
        for i, rs in enumerate(resource_spans):
            where = f"resourceSpans[{i}]"
            if problem := object_problem(rs, where) or array_problem(rs.get("scopeSpans"), f"{where}.scopeSpans"):
                self._reject(number, Reason.NOT_OTLP, problem, rs)
                continue
            resource_key, resource_problem = self._resource(rs)
            for j, ss in enumerate(repeated(rs, "scopeSpans")):
                where = f"resourceSpans[{i}].scopeSpans[{j}]"
                if problem := object_problem(ss, where) or array_problem(ss.get("spans"), f"{where}.spans"):
                    self._reject(number, Reason.NOT_OTLP, problem, ss)
                    continue
                scope_key, scope_problem = self._scope(ss)
                for k, span in enumerate(repeated(ss, "spans")):
                    if problem := object_problem(span, f"{where}.spans[{k}]"):
                        self._reject(number, Reason.NOT_OTLP, problem, span)
                        continue
                    inherited = resource_problem or scope_problem
                    reason, detail = self._convert(span, number, resource_key, scope_key, inherited)
                    if reason is not None:
                        trace_id, span_id = span.get("traceId"), span.get("spanId")
                        self._reject(
                            number,
                            reason,
                            detail,
                            span,
                            trace_id if isinstance(trace_id, str) else None,
                            span_id if isinstance(span_id, str) else None,
                        )

    def _convert(
        self, span: dict, number: int, resource_key: int, scope_key: int, inherited: WrongValueType | None
    ) -> tuple[Reason | None, str]:
        """Append the span's row; else why it cannot be kept (its own fault, or its resource's or
        scope's). Nothing in a span's content makes this raise."""
        if inherited is not None:
            return inherited.reason, str(inherited)
        try:
            self._span(span, number, resource_key, scope_key)
        except WrongValueType as exc:
            return exc.reason, str(exc)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a decoder bug: set this span aside, read its siblings
            _log.exception("span on line %d of %s could not be converted", number, self.source)
            return Reason.UNCONVERTIBLE, _error_text(exc)
        return None, ""

    def _resource(self, rs: dict) -> tuple[int, WrongValueType | None]:
        """The resource's row (its key) or what is wrong with it (then every span of it is)."""
        resource = rs.get("resource")
        try:
            expect(rs.get("schemaUrl"), str, "resourceSpans.schemaUrl")
            if resource is not None:
                check_message(Resource.DESCRIPTOR, resource, "resource", skip=_ATTRIBUTES)
            attributes, encoded, repeated, bad_int = encode_attributes(
                resource.get("attributes") if resource else None
            )
        except WrongValueType as exc:
            return -1, exc
        found: Found = []
        attributes, encoded = self._redacted(attributes, encoded, found)
        if found:
            self.resource_found[len(self.resources)] = found
        self.resources.append((encoded, *convention_texts(attributes), repeated, bad_int))
        return len(self.resources) - 1, None

    def _scope(self, ss: dict) -> tuple[int, WrongValueType | None]:
        """The scope's row (its key), or what is wrong with the scope (then every span of it is).
        Its attributes are converted here, once for all its spans, as a span's are (an empty or
        repeated key, or a bad intValue, is tolerated in a scope: the last value, or null, is kept)."""
        scope = ss.get("scope")
        try:
            expect(ss.get("schemaUrl"), str, "scopeSpans.schemaUrl")
            if scope is None:
                self.scopes.append((None, None, None))
                return len(self.scopes) - 1, None
            check_message(InstrumentationScope.DESCRIPTOR, scope, "scope", skip=_ATTRIBUTES)
        except WrongValueType as exc:
            return -1, exc
        try:
            plain, encoded = encode_attributes(scope.get("attributes"))[:2]
        except WrongValueType as exc:
            return -1, type(exc)(f"scope.{exc}")
        # Scopes are shared by unrelated conversations: what they held is not counted on any.
        encoded = self._redacted(plain, encoded, [])[1]
        self.scopes.append((scope.get("name"), scope.get("version") or None, encoded))
        return len(self.scopes) - 1, None

    def _span(self, span: dict, number: int, resource_key: int, scope_key: int) -> None:
        """Append one span's row (and its chat messages); WrongValueType if it breaks the mapping."""
        if not span.keys() <= _HOT_SPAN_FIELDS:
            check_message(Span.DESCRIPTOR, span, "span", skip=_HOT_SPAN_FIELDS)
        get = span.get
        trace_id, span_id, parent_id, name = get("traceId"), get("spanId"), get("parentSpanId"), get("name")
        if not _STRING_TYPES.issuperset(map(type, (trace_id, span_id, parent_id, name))):
            for key in ("traceId", "spanId", "parentSpanId", "name"):
                check_scalar(_SPAN_FIELD[key], get(key), key)
        kind = get("kind")
        if kind.__class__ is not int or not 0 <= kind <= 5:
            kind = check_scalar(_SPAN_FIELD["kind"], kind, "kind")
        start, end = get("startTimeUnixNano"), get("endTimeUnixNano")
        if start.__class__ is not str:
            start = _nanos_text(check_scalar(_SPAN_FIELD["startTimeUnixNano"], start, "startTimeUnixNano"))
        if end.__class__ is not str:
            end = _nanos_text(check_scalar(_SPAN_FIELD["endTimeUnixNano"], end, "endTimeUnixNano"))
        status = get("status")
        code = message = None
        if status:
            check_message(Status.DESCRIPTOR, status, "status", skip=_STATUS_READ)
            code = check_scalar(_STATUS_CODE, status.get("code"), "status.code")
            message = status.get("message")
        elif status is not None:
            expect(status, dict, "status")
        attributes, encoded, repeated, bad_int = encode_attributes(get("attributes"))
        events, links, trace_state, flags = get("events"), get("links"), get("traceState"), get("flags")
        found: Found = []
        original = encoded
        attributes, encoded = self._redacted(attributes, encoded, found)
        if message.__class__ is str and self.redactor is not None:
            message = self.redactor.message(message, found)
        redact = None if self.redactor is None else (lambda plain: self._redacted(plain, None, found)[0])
        # Links, traceState and flags are rare in most traffic: each costs a test when absent.
        if trace_state is not None and trace_state.__class__ is not str:
            check_scalar(_SPAN_FIELD["traceState"], trace_state, "traceState")
        if flags is not None and (flags.__class__ is not int or flags not in _FIXED32):
            flags = check_scalar(_SPAN_FIELD["flags"], flags, "flags") or None
        self.spans.append(
            (
                resource_key,
                scope_key,
                number,
                trace_id,
                span_id,
                parent_id,
                name,
                kind,
                start,
                end,
                code,
                message,
                encoded,
                *convention_texts(attributes),
                None if events is None else _events(events, redact),
                None if links is None else _links(links, redact),
                trace_state or None,
                flags,
                repeated,
                bad_int,
            )
        )
        if found:
            self._found(len(self.spans) - 1, found, original, events)
        if encoded is not None and _MESSAGE_MARK in encoded:
            self._messages(len(self.spans) - 1, attributes)

    def _found(self, row: int, found: Found, attributes: bytes | None, events: Any) -> None:
        self.found_spans.append(row)
        self.found.append(found)
        if self.redactor is not None and self.redactor.config.keep_raw_pii:
            raw_events = None if events is None else _events(events)
            self.originals.append(
                (row, None if attributes is None else attributes.decode(), None if raw_events is None else raw_events.decode())
            )

    def _messages(self, span_index: int, attributes: dict[str, Any]) -> None:
        for key, value in attributes.items():
            if key.startswith(FLAT_MESSAGE_PREFIXES):
                self.message_spans.append(span_index)
                self.message_keys.append(key)
                self.message_texts.append(value if type(value) is str else text_of(value))

    def _reject(
        self,
        number: int,
        reason: Reason,
        detail: str,
        raw: Any,
        trace_id: str | None = None,
        span_id: str | None = None,
    ) -> None:
        raw_text = bounded(_raw_text(raw))
        if self.redactor is not None:
            raw_text = self.redactor.raw_text(raw_text)
        self.quarantine.append(
            QuarantineRecord(self.source, number, reason_text(reason, detail), raw_text, trace_id, span_id)
        )

    def tables(self) -> SpanTables:
        """The file's rows as Arrow tables (keys local to the file)."""
        columns = list(zip(*self.spans)) or [()] * len(_SPAN_ROW)
        spans = {
            name: _array(column, SPAN_SCHEMA.field(name).type) for name, column in zip(_SPAN_ROW, columns)
        }
        count = len(self.spans)
        spans["span_key"] = pa.array(np.arange(count, dtype=np.int64))
        spans["source_file"] = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(count, dtype=np.int32)), pa.array([self.source], pa.string())
        )
        messages = [self.message_spans, self.message_keys, self.message_texts]
        found_spans, found = self.found_spans, self.found
        if self.resource_found:
            by_resource = [(row, self.resource_found.get(span[0])) for row, span in enumerate(self.spans)]
            found_spans = [*found_spans, *(row for row, f in by_resource if f)]
            found = [*found, *(f for _, f in by_resource if f)]
        return SpanTables(
            pa.table(spans, schema=SPAN_SCHEMA),
            _keyed_rows(self.resources, RESOURCE_SCHEMA),
            _keyed_rows(self.scopes, SCOPE_SCHEMA),
            pa.table(
                {f.name: _array(v, f.type) for f, v in zip(MESSAGE_SCHEMA, messages)}, schema=MESSAGE_SCHEMA
            ),
            findings_table(found_spans, found),
            pa.Table.from_pylist(
                [dict(zip(ORIGINALS_SCHEMA.names, row)) for row in self.originals], schema=ORIGINALS_SCHEMA
            ),
        )


def _bounded_repr() -> reprlib.Repr:
    """Python's spelling of a value orjson cannot write (nested deeper than its 255 levels), cut
    short at a depth and a length so that writing it can neither recurse without end nor grow
    without bound."""
    spelling = reprlib.Repr()  # keyword arguments only from Python 3.12
    spelling.maxlevel = MAX_NESTING_DEPTH * 4
    spelling.maxdict = spelling.maxlist = spelling.maxstring = RAW_TEXT_LIMIT
    spelling.maxother = spelling.maxlong = RAW_TEXT_LIMIT
    return spelling


_RAW_REPR = _bounded_repr()


def _raw_text(raw: Any) -> bytes | str:
    """What a quarantine row keeps of a rejected line or part: its JSON, else Python's spelling."""
    if isinstance(raw, bytes):
        return raw
    try:
        return orjson.dumps(raw)
    except orjson.JSONEncodeError:
        return _RAW_REPR.repr(raw)


def _keyed_rows(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of `schema`, whose first column, the key, is the row's position."""
    columns = list(zip(*rows)) or [()] * (len(schema) - 1)
    return pa.table(
        {schema.names[0]: pa.array(np.arange(len(rows), dtype=np.int64))}
        | {f.name: _array(column, f.type) for f, column in zip(list(schema)[1:], columns)},
        schema=schema,
    )


# Arrow's builders grow their buffers by reallocation; the C allocator moves large blocks without
# copying them (mremap), Arrow's default (mimalloc) copies them (docs/benchmarks.md: the cost).
_GROWING = pa.system_memory_pool()


def _array(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    """A column of rows as Arrow. JSON texts (orjson's UTF-8 bytes) are joined into one buffer
    rather than converted value by value, which for the attribute JSON cost more than orjson
    took to write it."""
    if kind != _JSON:
        return pa.array(values, kind, memory_pool=_GROWING)
    if not any(values):  # a column of rare values (links) without one
        return pa.nulls(len(values), kind)
    present = [value is not None for value in values]
    texts = [value or b"" for value in values]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    validity = None if all(present) else pa.array(present, pa.bool_()).buffers()[1]
    storage = pa.Array.from_buffers(
        kind.storage_type, len(texts), [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(texts))]
    )
    return pa.ExtensionArray.from_storage(kind, storage)


Redact = Callable[[dict[str, Any] | None], dict[str, Any] | None] | None


def _events(events: Any, redact: Redact = None) -> bytes | None:
    """Span events as raw.spans keeps them: `[{name, time, attributes}]` (None for no events),
    their attributes passed through `redact` when given."""
    converted = []
    for i, event in enumerate(expect(events, list, "events")):
        where = f"events[{i}]"
        check_message(Span.Event.DESCRIPTOR, event, where, skip=_EVENT_READ)
        nanos = check_scalar(_EVENT_FIELD["timeUnixNano"], event.get("timeUnixNano"), f"{where}.timeUnixNano")
        attributes = encode_attributes(event.get("attributes"))[0]
        if redact is not None:
            attributes = redact(attributes)
        converted.append(
            {"name": event.get("name"), "time": _timestamp_text(nanos), "attributes": attributes}
        )
    return orjson.dumps(converted) if converted else None


def _links(links: Any, redact: Redact = None) -> bytes | None:
    """Span links as raw.spans keeps them: `[{trace_id, span_id, trace_state, attributes, flags}]`,
    ids lowercased (the receiver writes protobuf's bytes as hex), attributes as a span's, an empty
    trace state and flags 0 as null (None for no links)."""
    converted = []
    for i, link in enumerate(expect(links, list, "links")):
        where = f"links[{i}]"
        check_message(Span.Link.DESCRIPTOR, link, where, skip=_LINK_READ)
        try:
            attributes = encode_attributes(link.get("attributes"))[0]
        except WrongValueType as exc:
            raise type(exc)(f"{where}.{exc}") from None
        if redact is not None:
            attributes = redact(attributes)
        trace_id, span_id = link.get("traceId"), link.get("spanId")
        converted.append(
            {
                "trace_id": trace_id.lower() if trace_id else None,
                "span_id": span_id.lower() if span_id else None,
                "trace_state": link.get("traceState") or None,
                "attributes": attributes,
                "flags": check_scalar(_LINK_FIELD["flags"], link.get("flags"), f"{where}.flags") or None,
            }
        )
    return orjson.dumps(converted) if converted else None


def _nanos_text(nanos: str | int | None) -> str | None:
    """A time as the decimal string OTLP/JSON writes (a JSON number is accepted too)."""
    return nanos if nanos is None or isinstance(nanos, str) else str(nanos)


def _timestamp_text(nanos: str | int | None) -> str | None:
    """A plausible time as DuckDB writes a TIMESTAMP in JSON (microseconds, trailing zeros cut)."""
    try:
        value = int(nanos)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value not in _PLAUSIBLE_NANOS:
        return None
    text = (_EPOCH + timedelta(microseconds=value // 1000)).replace(tzinfo=None).isoformat(sep=" ")
    return text.rstrip("0") if "." in text else text
