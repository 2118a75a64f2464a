"""OTLP requests as OTLP/JSON lines, the one format the landing directory holds.

OTLP/JSON is the protobuf JSON mapping with one exception: trace and span ids are hex strings, not
base64. So a protobuf request is converted with protobuf's own `MessageToDict` (enums as integers,
64-bit integers as decimal strings) and its ids are then rewritten to hex.

In either encoding a request whose attribute values nest deeper than MAX_NESTING_DEPTH AnyValue
levels is refused (`nesting_problem`), as ingestion would quarantine its spans anyway.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orchestration.ingest.otlp_values import MAX_NESTING_DEPTH, NestingTooDeep, json_type, too_deep

_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class NotOtlpJson(ValueError):
    """The bytes are not an OTLP/JSON ExportTraceServiceRequest; the message says why."""


def request_to_json_line(request: ExportTraceServiceRequest) -> bytes:
    """One OTLP/JSON line (no trailing newline) for a protobuf request; NestingTooDeep if an
    attribute value nests deeper than the limit."""
    document = MessageToDict(request, use_integers_for_enums=True)
    if problem := nesting_problem(document):
        raise NestingTooDeep(problem)
    for resource_spans in document.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                _hex_ids(span)
                for link in span.get("links", ()):
                    _hex_ids(link)
    return orjson.dumps(document)


def _hex_ids(message: dict[str, Any]) -> None:
    for field in _ID_FIELDS:
        if field in message:
            message[field] = base64.b64decode(message[field]).hex()


def json_request_line(body: bytes) -> tuple[bytes, int]:
    """Check that `body` is an OTLP/JSON request and return it as one line, with its span count.

    Only the envelope is checked here: a JSON object whose `resourceSpans`, their `scopeSpans` and
    those's `spans` are arrays of objects (`envelope_problems`), as protobuf's JSON parser would
    insist; a body that is not is refused whole, as the OpenTelemetry Collector refuses it, rather
    than answered 200 with its spans uncounted and never written. What is inside a span is judged
    at ingestion, where a bad span is quarantined with its reason.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotOtlpJson(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise NotOtlpJson(
            f"expected a JSON object (ExportTraceServiceRequest), got {type(document).__name__}"
        )
    for problem in envelope_problems(document):
        raise NotOtlpJson(problem)
    if problem := nesting_problem(document):
        raise NotOtlpJson(problem)
    spans = sum(
        len(repeated(ss, "spans")) for rs in repeated(document, "resourceSpans") for ss in repeated(rs, "scopeSpans")
    )
    line = body.strip()
    # A pretty-printed body spans several lines; the landing format is one request per line.
    return (orjson.dumps(document) if b"\n" in line or b"\r" in line else line), spans


def repeated(message: dict[str, Any], field: str) -> list[Any]:
    """A repeated field of a decoded OTLP/JSON message whose type was checked: missing or null is
    empty, as the protobuf JSON mapping reads it."""
    value = message.get(field)
    return [] if value is None else value


def envelope_problems(request: dict[str, Any]) -> Iterator[str]:
    """What is wrong with the envelope of an OTLP/JSON request (a decoded JSON object): a
    `resourceSpans`, `scopeSpans` or `spans` that is not an array (missing or null is an empty
    one), or an element of one that is not an object. Each problem names the field, as
    `resourceSpans[0].scopeSpans must be an array, not object`; the parts it names are skipped."""
    yield from _elements(request, "resourceSpans", "", _resource_spans_problems)


def _resource_spans_problems(rs: dict[str, Any], where: str) -> Iterator[str]:
    yield from _elements(rs, "scopeSpans", where, _scope_spans_problems)


def _scope_spans_problems(ss: dict[str, Any], where: str) -> Iterator[str]:
    yield from _elements(ss, "spans", where, lambda span, where: iter(()))


def _elements(
    message: dict[str, Any], field: str, where: str, inner: Callable[[dict[str, Any], str], Iterator[str]]
) -> Iterator[str]:
    name = f"{where}.{field}" if where else field
    value = message.get(field)
    if problem := array_problem(value, name):
        yield problem
        return
    for i, element in enumerate(value or ()):
        if problem := object_problem(element, f"{name}[{i}]"):
            yield problem
        else:
            yield from inner(element, f"{name}[{i}]")


def nesting_problem(request: dict[str, Any]) -> str | None:
    """Which attribute value of a request (a decoded JSON object whose envelope may be of any
    shape) nests deeper than MAX_NESTING_DEPTH AnyValue levels, if one does: the resource's, the
    scope's, the span's, or a span event's or link's attributes."""
    for where, key_values in _attribute_lists(request):
        for i, kv in enumerate(key_values):
            if type(kv) is dict and too_deep(kv.get("value")):
                return (
                    f"{where}.attributes[{i}] is nested more than {MAX_NESTING_DEPTH} levels deep "
                    "(an arrayValue or kvlistValue is a level)"
                )
    return None


def _attribute_lists(request: dict[str, Any]) -> Iterator[tuple[str, list[Any]]]:
    """(where, attribute list) of every attribute list in a request, skipping parts of a wrong type."""

    def each(message: Any, field: str, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        values = message.get(field) if type(message) is dict else None
        for i, element in enumerate(values if type(values) is list else ()):
            if type(element) is dict:
                yield f"{where}{field}[{i}]", element

    def attributes(message: Any, where: str) -> Iterator[tuple[str, list[Any]]]:
        values = message.get("attributes") if type(message) is dict else None
        if type(values) is list:
            yield where, values

    for rs_where, rs in each(request, "resourceSpans", ""):
        yield from attributes(rs.get("resource"), f"{rs_where}.resource")
        for ss_where, ss in each(rs, "scopeSpans", f"{rs_where}."):
            yield from attributes(ss.get("scope"), f"{ss_where}.scope")
            for span_where, span in each(ss, "spans", f"{ss_where}."):
                yield from attributes(span, span_where)
                for field in ("events", "links"):
                    for where, part in each(span, field, f"{span_where}."):
                        yield from attributes(part, where)


def array_problem(value: Any, name: str) -> str | None:
    """Why `value`, the repeated field `name`, is not one (None for an array, or null: empty)."""
    return None if value is None or isinstance(value, list) else f"{name} must be an array, not {json_type(value)}"


def object_problem(value: Any, name: str) -> str | None:
    """Why `value`, the message `name`, is not one (None for an object)."""
    return None if isinstance(value, dict) else f"{name} must be an object, not {json_type(value)}"


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
