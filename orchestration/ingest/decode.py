"""Decode OTLP/JSON landing files into Arrow tables of `ExportTraceServiceRequest`s.

The hot path hands a whole file to Arrow's multi-threaded JSON reader with an explicit schema
derived from the OTLP protobuf descriptor, so no Python runs per span. Arrow is strict (a wrong
type or an unknown field fails the block), which is what makes bad input visible: when a file
fails, its lines are bisected to isolate the bad ones, and only those take the slow path, where
orjson parses them, the tolerated variants are normalised (enum names, int64s written as JSON
numbers, `kvlistValue`s and nested arrays), and every span is retried on its own. Whatever still
fails is quarantined with Arrow's or orjson's message.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.json as pa_json
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from orchestration.ingest.quarantine import QuarantineRecord, Reason, bounded, reason_text

# AnyValue is recursive, which a fixed Arrow schema cannot express: arrays and kvlists of scalars
# (what SDKs emit) are in the schema; deeper nesting is rare, so the slow path decodes it to JSON and
# carries it in this extra field.
JSON_VALUE_FIELD = "jsonValue"

_SCALAR_ANY_VALUE = pa.struct(
    [
        ("stringValue", pa.string()),
        ("boolValue", pa.bool_()),
        ("intValue", pa.string()),  # int64 is a JSON string in OTLP/JSON
        ("doubleValue", pa.float64()),
        ("bytesValue", pa.string()),
        ("stringValueStrindex", pa.int64()),
    ]
)
_ANY_VALUE = pa.struct(
    list(_SCALAR_ANY_VALUE)
    + [
        ("arrayValue", pa.struct([("values", pa.list_(_SCALAR_ANY_VALUE))])),
        (
            "kvlistValue",
            pa.struct(
                [("values", pa.list_(pa.struct([("key", pa.string()), ("value", _SCALAR_ANY_VALUE)])))]
            ),
        ),
        (JSON_VALUE_FIELD, pa.string()),
    ]
)

_INT64_TYPES = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_SINT64,
}
_INT32_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SINT32,
}


def _arrow_type(fd: FieldDescriptor) -> pa.DataType:
    if fd.message_type is not None:
        element: pa.DataType = (
            _ANY_VALUE
            if fd.message_type.full_name == AnyValue.DESCRIPTOR.full_name
            else _arrow_struct(fd.message_type)
        )
    elif fd.type in _INT64_TYPES or fd.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        element = pa.string()  # ids are hex strings and 64-bit integers decimal strings in OTLP/JSON
    elif fd.type in _INT32_TYPES:
        element = pa.int64()
    elif fd.type == FieldDescriptor.TYPE_ENUM:
        element = pa.int32()
    elif fd.type == FieldDescriptor.TYPE_BOOL:
        element = pa.bool_()
    else:
        element = pa.float64()
    return pa.list_(element) if fd.is_repeated else element


def _arrow_struct(descriptor: Descriptor) -> pa.StructType:
    return pa.struct([(fd.json_name, _arrow_type(fd)) for fd in descriptor.fields])


# Derived from the installed protobuf so that every field the OTLP version defines is accepted
# (and an unknown one is an error, never silently ignored).
REQUEST_SCHEMA = pa.schema(
    [(fd.json_name, _arrow_type(fd)) for fd in ExportTraceServiceRequest.DESCRIPTOR.fields]
)
_PARSE_OPTIONS = pa_json.ParseOptions(explicit_schema=REQUEST_SCHEMA, unexpected_field_behavior="error")
_BLOCK_SIZE = 8 << 20

DecodeError = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


@dataclass
class DecodedFile:
    """One landing file: its requests (one row per line) and the lines or spans set aside."""

    path: Path
    size_bytes: int
    line_count: int
    requests: pa.Table
    quarantine: list[QuarantineRecord] = field(default_factory=list)


def read_landing_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip (by name or by magic number)."""
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    return raw


def decode_file(path: Path) -> DecodedFile:
    """Decode one landing file; never raises for bad content, which is quarantined instead."""
    source = str(path)
    try:
        size = path.stat().st_size
        data = read_landing_bytes(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        record = QuarantineRecord(source, None, reason_text(Reason.UNREADABLE_FILE, str(exc)), None)
        return DecodedFile(path, 0, 0, empty_requests(), [record])

    line_count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    table = _decode_whole(data, line_count)
    if table is not None:
        return DecodedFile(path, size, line_count, _with_source(table, source, range(1, line_count + 1)))

    quarantine: list[QuarantineRecord] = []
    lines = _pretty_printed(data) or [
        (number, line) for number, line in enumerate(data.split(b"\n"), start=1) if line.strip()
    ]
    tables = _decode_lines(lines, lambda number, line, _: _salvage_line(source, number, line, quarantine))
    requests = pa.concat_tables(
        [empty_requests()] + [_with_source(t, source, numbers) for t, numbers in tables]
    )
    return DecodedFile(path, size, line_count, requests, quarantine)


def _pretty_printed(data: bytes) -> list[tuple[int, bytes]] | None:
    """A file holding one request spread over several lines (an indented export) is read as that
    one request, reported as line 1, rather than as a quarantined fragment per line."""
    if b"\n" not in data.strip():
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return [(1, orjson.dumps(document))] if isinstance(document, dict) else None


def _decode_whole(data: bytes, line_count: int) -> pa.Table | None:
    """The fast path: the whole file in one Arrow read, if it is valid UTF-8, every line decodes and
    there are no blank lines (whose absence keeps row i at line i + 1)."""
    try:
        pa.array([data], pa.large_binary()).cast(pa.large_string())
        table = _read_requests(data)
    except DecodeError:
        return None
    return table if table.num_rows == line_count else None


def _read_requests(payload: bytes) -> pa.Table:
    block_size = _BLOCK_SIZE if len(payload) > _BLOCK_SIZE else max(len(payload), 1 << 10)
    try:
        return _read_blocks(payload, block_size)
    except pa.ArrowInvalid as exc:
        # A line longer than a block cannot be split across blocks: read it as one block.
        if "straddl" not in str(exc) or block_size >= len(payload):
            raise
        return _read_blocks(payload, len(payload) + 1)


def _read_blocks(payload: bytes, block_size: int) -> pa.Table:
    return pa_json.read_json(
        io.BytesIO(payload),
        read_options=pa_json.ReadOptions(block_size=block_size),
        parse_options=_PARSE_OPTIONS,
    )


def _decode_lines(
    lines: list[tuple[int, bytes]],
    on_bad_line: Callable[[int, bytes, Exception], list[tuple[pa.Table, list[int]]]],
) -> list[tuple[pa.Table, list[int]]]:
    """Decode lines in as few Arrow reads as possible: a chunk that fails is halved until the bad
    lines stand alone, so a file with one bad line costs O(log n) extra reads, not n."""
    decoded: list[tuple[pa.Table, list[int]]] = []
    pending = [lines] if lines else []
    while pending:
        chunk = pending.pop()
        try:
            payload = b"\n".join(line for _, line in chunk)
            payload.decode("utf-8")
            table = _read_requests(payload)
        except (UnicodeDecodeError, *DecodeError) as exc:
            if len(chunk) == 1:
                decoded.extend(on_bad_line(*chunk[0], exc))
            else:
                middle = len(chunk) // 2
                pending += [chunk[middle:], chunk[:middle]]
            continue
        decoded.append((table, [number for number, _ in chunk]))
    return decoded


def _salvage_line(
    source: str, number: int, line: bytes, quarantine: list[QuarantineRecord]
) -> list[tuple[pa.Table, list[int]]]:
    """The slow path for one line Arrow rejected: keep every span that can be kept."""

    def reject(reason: Reason, detail: str, raw: str | bytes, span: Any = None) -> None:
        trace_id, span_id = (
            (span.get("traceId"), span.get("spanId")) if isinstance(span, dict) else (None, None)
        )
        quarantine.append(
            QuarantineRecord(
                source,
                number,
                reason_text(reason, detail),
                bounded(raw),
                trace_id if isinstance(trace_id, str) else None,
                span_id if isinstance(span_id, str) else None,
            )
        )

    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        reject(Reason.INVALID_UTF8, str(exc), line)
        return []
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        reject(Reason.INVALID_JSON, str(exc), line)
        return []

    single_span_requests: list[tuple[bytes, dict]] = []
    for problem, part in _split_request(doc, single_span_requests):
        reject(Reason.NOT_OTLP, problem, orjson.dumps(part))

    def reject_span(index: int, _: bytes, exc: Exception) -> list[tuple[pa.Table, list[int]]]:
        span = single_span_requests[index][1]
        reject(Reason.WRONG_VALUE_TYPE, str(exc).removeprefix("JSON parse error: "), orjson.dumps(span), span)
        return []

    indexed = [(i, payload) for i, (payload, _) in enumerate(single_span_requests)]
    return [(table, [number] * table.num_rows) for table, _ in _decode_lines(indexed, reject_span)]


def _split_request(doc: Any, out: list[tuple[bytes, dict]]) -> Iterable[tuple[str, Any]]:
    """Append one normalised single-span request per span of `doc` to `out`; yield the parts that
    are not shaped like OTLP, with a description of the problem."""
    if not isinstance(doc, dict):
        yield f"a request must be a JSON object, not {type(doc).__name__}", doc
        return
    resource_spans = doc.get("resourceSpans")
    if not isinstance(resource_spans, list):
        yield "no resourceSpans list (expected an OTLP/JSON ExportTraceServiceRequest)", doc
        return
    for i, rs in enumerate(resource_spans):
        scope_spans = rs.get("scopeSpans", []) if isinstance(rs, dict) else None
        if not isinstance(scope_spans, list):
            yield f"resourceSpans[{i}] has no scopeSpans list", rs
            continue
        for j, ss in enumerate(scope_spans):
            spans = ss.get("spans", []) if isinstance(ss, dict) else None
            if not isinstance(spans, list):
                yield f"resourceSpans[{i}].scopeSpans[{j}] has no spans list", ss
                continue
            for span in spans:
                if not isinstance(span, dict):
                    yield f"resourceSpans[{i}].scopeSpans[{j}].spans holds a {type(span).__name__}", span
                    continue
                single = {
                    **_known(rs, ("resource", "schemaUrl")),
                    "scopeSpans": [{**_known(ss, ("scope", "schemaUrl")), "spans": [_normalise_span(span)]}],
                }
                if isinstance(single.get("resource"), dict):
                    single["resource"] = _normalise_attributes_holder(single["resource"])
                out.append((orjson.dumps({"resourceSpans": [single]}), span))


def _known(doc: dict, keys: tuple[str, ...]) -> dict:
    return {key: doc[key] for key in keys if key in doc}


_SPAN_KINDS = {name: value for name, value in Span.SpanKind.items()}
_STATUS_CODES = {name: value for name, value in Status.StatusCode.items()}


def _normalise_span(span: dict) -> dict:
    """Rewrite the variants OTLP/JSON readers must tolerate into the form the schema expects."""
    span = _normalise_attributes_holder(span)
    kind = span.get("kind")
    if isinstance(kind, str) and kind in _SPAN_KINDS:
        span["kind"] = _SPAN_KINDS[kind]
    status = span.get("status")
    if isinstance(status, dict) and isinstance(status.get("code"), str) and status["code"] in _STATUS_CODES:
        span["status"] = {**status, "code": _STATUS_CODES[status["code"]]}
    for key in ("startTimeUnixNano", "endTimeUnixNano"):
        if isinstance(span.get(key), int):
            span[key] = str(span[key])
    if isinstance(span.get("events"), list):
        span["events"] = [
            _normalise_attributes_holder({**e, "timeUnixNano": str(e["timeUnixNano"])})
            if isinstance(e, dict) and isinstance(e.get("timeUnixNano"), int)
            else _normalise_attributes_holder(e)
            for e in span["events"]
        ]
    return span


def _normalise_attributes_holder(holder: Any) -> Any:
    if not isinstance(holder, dict) or not isinstance(holder.get("attributes"), list):
        return holder
    return {**holder, "attributes": [_normalise_key_value(kv) for kv in holder["attributes"]]}


def _normalise_any_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("intValue"), int) and not isinstance(value["intValue"], bool):
        return {"intValue": str(value["intValue"])}
    if _nested(value) or isinstance(value.get("doubleValue"), str):
        try:
            return {JSON_VALUE_FIELD: orjson.dumps(any_value_to_python(value)).decode()}
        except (TypeError, ValueError, KeyError, AttributeError, orjson.JSONEncodeError):
            return value  # left as it is: Arrow rejects it and the span is quarantined with the reason
    if isinstance(value.get("arrayValue"), dict):
        values = value["arrayValue"].get("values", [])
        return {"arrayValue": {"values": [_normalise_any_value(v) for v in values]}}
    if isinstance(value.get("kvlistValue"), dict):
        values = value["kvlistValue"].get("values", [])
        return {"kvlistValue": {"values": [_normalise_key_value(kv) for kv in values]}}
    return value


def _normalise_key_value(kv: Any) -> Any:
    return (
        {**kv, "value": _normalise_any_value(kv["value"])} if isinstance(kv, dict) and "value" in kv else kv
    )


def _nested(value: dict) -> bool:
    """An array or kvlist holding arrays or kvlists: deeper than the Arrow schema goes."""
    children: list[Any] = []
    if isinstance(value.get("arrayValue"), dict):
        children = value["arrayValue"].get("values", [])
    elif isinstance(value.get("kvlistValue"), dict):
        children = [kv.get("value") for kv in value["kvlistValue"].get("values", []) if isinstance(kv, dict)]
    return any(isinstance(c, dict) and ({"arrayValue", "kvlistValue"} & c.keys()) for c in children)


def any_value_to_python(value: dict) -> Any:
    """An OTLP/JSON AnyValue as a plain Python value (kvlists become dicts, arrays lists)."""
    if "stringValue" in value:
        return str(value["stringValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        number = float(value["doubleValue"])
        return number if math.isfinite(number) else str(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "bytesValue" in value:
        return str(value["bytesValue"])
    if "arrayValue" in value:
        return [any_value_to_python(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {
            kv["key"]: any_value_to_python(kv.get("value", {}))
            for kv in value["kvlistValue"].get("values", [])
        }
    if value:
        raise ValueError(f"not an AnyValue: {sorted(value)}")
    return None


def _with_source(table: pa.Table, source: str, lines: Iterable[int]) -> pa.Table:
    return table.append_column("source_line", pa.array(lines, pa.int32())).append_column(
        "source_file", pa.array([source] * table.num_rows, pa.string()).dictionary_encode()
    )


def empty_requests() -> pa.Table:
    """A decoded file with no requests (the columns every `DecodedFile.requests` has)."""
    return _with_source(REQUEST_SCHEMA.empty_table(), "", [])
