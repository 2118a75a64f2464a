"""OTLP/JSON as the OpenTelemetry Collector's file exporter writes it.

One `ExportTraceServiceRequest` per line: `resourceSpans[].scopeSpans[].spans[]`, trace and span
ids as lowercase hex (the OTLP/JSON exception to the protobuf JSON mapping, which would use
base64), 64-bit integers (timestamps, `intValue`) as decimal strings, enums as integers, and
attribute values as typed `AnyValue`s.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

# opentelemetry.proto.trace.v1.Span.SpanKind
SPAN_KIND_INTERNAL = 1
SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
# opentelemetry.proto.trace.v1.Status.StatusCode
STATUS_OK = 1
STATUS_ERROR = 2

AttrValue = str | bool | int | float | Sequence["AttrValue"] | Mapping[str, "AttrValue"]


_SCALAR_KEYS: dict[type, str] = {str: "stringValue", bool: "boolValue", float: "doubleValue"}


def any_value(value: AttrValue) -> dict[str, Any]:
    """A Python value as an OTLP/JSON `AnyValue` (bool before int: bool is an int in Python)."""
    # Exact-type lookup first: this runs for every attribute of every span of a simulated day.
    if key := _SCALAR_KEYS.get(type(value)):
        return {key: value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": key_values(value)}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    raise TypeError(f"not an OTLP attribute value: {value!r}")


def key_values(attributes: Mapping[str, AttrValue]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in attributes.items()]


class IdSource:
    """Trace and span ids from the simulation's seeded RNG (never zero, which OTLP forbids)."""

    def __init__(self, rng: random.Random):
        self._rng = rng

    def trace_id(self) -> str:
        return f"{self._rng.getrandbits(128) or 1:032x}"

    def span_id(self) -> str:
        return f"{self._rng.getrandbits(64) or 1:016x}"


@dataclass(frozen=True)
class Resource:
    """What produced the spans (a service; sometimes a per-conversation worker)."""

    attributes: tuple[tuple[str, AttrValue], ...]
    schema_url: str = ""


@dataclass(frozen=True)
class Scope:
    name: str
    version: str = ""


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    resource: Resource
    scope: Scope
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    status_code: int = 0
    status_message: str = ""

    def to_otlp(self) -> dict[str, Any]:
        span: dict[str, Any] = {"traceId": self.trace_id, "spanId": self.span_id}
        if self.parent_span_id:
            span["parentSpanId"] = self.parent_span_id
        span.update(
            name=self.name,
            kind=self.kind,
            startTimeUnixNano=str(self.start_ns),
            endTimeUnixNano=str(self.end_ns),
            attributes=key_values(self.attributes),
        )
        status: dict[str, Any] = {}
        if self.status_message:
            status["message"] = self.status_message
        if self.status_code:
            status["code"] = self.status_code
        span["status"] = status
        return span


class EncodedSpan(NamedTuple):
    """A span already encoded as OTLP/JSON, with what a batch needs to place it: the sort key
    (end time, span id) and the encoded resource and scope it is grouped under. Small and
    picklable, so a day of spans can wait on disk until the day's files are written."""

    end_ns: int
    span_id: str
    resource: tuple[bytes, bytes]  # opening and closing bytes of its `resourceSpans` entry
    scope: bytes  # opening bytes of its `scopeSpans` entry
    body: bytes  # the span object


def encode_spans(spans: Iterable[Span]) -> list[EncodedSpan]:
    """Encode spans once; equal resources and scopes encode to equal bytes (their attributes are
    strings with distinct keys), so grouping by bytes groups as by the objects."""
    resources: dict[Resource, tuple[bytes, bytes]] = {}
    scopes: dict[Scope, bytes] = {}
    encoded = []
    for span in spans:
        resource = resources.get(span.resource)
        if resource is None:
            resource = resources[span.resource] = _resource_parts(span.resource)
        scope = scopes.get(span.scope)
        if scope is None:
            scope = scopes[span.scope] = _scope_opening(span.scope)
        encoded.append(EncodedSpan(span.end_ns, span.span_id, resource, scope, orjson.dumps(span.to_otlp())))
    return encoded


def _resource_parts(resource: Resource) -> tuple[bytes, bytes]:
    attributes = orjson.dumps({"attributes": key_values(dict(resource.attributes))})
    closing = b',"schemaUrl":' + orjson.dumps(resource.schema_url) if resource.schema_url else b""
    return b'{"resource":' + attributes + b',"scopeSpans":[', b"]" + closing + b"}"


def _scope_opening(scope: Scope) -> bytes:
    scope_json: dict[str, Any] = {"name": scope.name}
    if scope.version:
        scope_json["version"] = scope.version
    return b'{"scope":' + orjson.dumps(scope_json) + b',"spans":['


def export_request(spans: Iterable[EncodedSpan]) -> bytes:
    """One ExportTraceServiceRequest as compact JSON, grouping spans by resource then scope in
    arrival order, as a collector's batch does."""
    by_resource: dict[tuple[bytes, bytes], dict[bytes, list[bytes]]] = {}
    for span in spans:
        by_resource.setdefault(span.resource, {}).setdefault(span.scope, []).append(span.body)
    entries = []
    for (opening, closing), scopes in by_resource.items():
        scope_spans = b",".join(scope + b",".join(bodies) + b"]}" for scope, bodies in scopes.items())
        entries.append(opening + scope_spans + closing)
    return b'{"resourceSpans":[' + b",".join(entries) + b"]}"
