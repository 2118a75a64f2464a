"""OTLP requests as OTLP/JSON lines, the one format the landing directory holds.

OTLP/JSON is the protobuf JSON mapping with one exception: trace and span ids are hex strings, not
base64. So a protobuf request is converted with protobuf's own `MessageToDict` (enums as integers,
64-bit integers as decimal strings) and its ids are then rewritten to hex.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orchestration.ingest.otlp_values import json_type

_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class NotOtlpJson(ValueError):
    """The bytes are not an OTLP/JSON ExportTraceServiceRequest; the message says why."""


def request_to_json_line(request: ExportTraceServiceRequest) -> bytes:
    """One OTLP/JSON line (no trailing newline) for a protobuf request."""
    document = MessageToDict(request, use_integers_for_enums=True)
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


def array_problem(value: Any, name: str) -> str | None:
    """Why `value`, the repeated field `name`, is not one (None for an array, or null: empty)."""
    return None if value is None or isinstance(value, list) else f"{name} must be an array, not {json_type(value)}"


def object_problem(value: Any, name: str) -> str | None:
    """Why `value`, the message `name`, is not one (None for an object)."""
    return None if isinstance(value, dict) else f"{name} must be an object, not {json_type(value)}"


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
