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
from typing import Any

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


def export_request(spans: Iterable[Span]) -> dict[str, Any]:
    """One ExportTraceServiceRequest, grouping spans by resource then scope in arrival order,
    as a collector's batch does."""
    by_resource: dict[Resource, dict[Scope, list[dict[str, Any]]]] = {}
    for span in spans:
        by_resource.setdefault(span.resource, {}).setdefault(span.scope, []).append(span.to_otlp())
    resource_spans = []
    for resource, scopes in by_resource.items():
        scope_spans = []
        for scope, encoded in scopes.items():
            scope_json: dict[str, Any] = {"name": scope.name}
            if scope.version:
                scope_json["version"] = scope.version
            scope_spans.append({"scope": scope_json, "spans": encoded})
        entry: dict[str, Any] = {
            "resource": {"attributes": key_values(dict(resource.attributes))},
            "scopeSpans": scope_spans,
        }
        if resource.schema_url:
            entry["schemaUrl"] = resource.schema_url
        resource_spans.append(entry)
    return {"resourceSpans": resource_spans}
