"""OTLP requests as OTLP/JSON lines, the one format the landing directory holds.

OTLP/JSON is the protobuf JSON mapping with one exception: trace and span ids are hex strings, not
base64. So a protobuf request is converted with protobuf's own `MessageToDict` (enums as integers,
64-bit integers as decimal strings) and its ids are then rewritten to hex.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

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

    Only the envelope is checked here (a JSON object whose `resourceSpans` is a list); what is
    inside is judged at ingestion, where a bad span is quarantined with its reason.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotOtlpJson(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise NotOtlpJson(
            f"expected a JSON object (ExportTraceServiceRequest), got {type(document).__name__}"
        )
    resource_spans = document.get("resourceSpans", [])
    if not isinstance(resource_spans, list):
        raise NotOtlpJson("resourceSpans must be a list")
    spans = sum(
        len(ss.get("spans") or []) if isinstance(ss, dict) else 0
        for rs in resource_spans
        if isinstance(rs, dict)
        for ss in (rs.get("scopeSpans") or [])
    )
    line = body.strip()
    # A pretty-printed body spans several lines; the landing format is one request per line.
    return (orjson.dumps(document) if b"\n" in line or b"\r" in line else line), spans


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
