"""Routing signals written back to a tracing backend as OpenTelemetry `gen_ai.evaluation.result`
events, so the people who read traces see the same recommendations the orchestrators poll."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

EVENT_NAME = "gen_ai.evaluation.result"
SPAN_NAME = "journeys.routing_signals"

# Routing-signal column -> event attribute. The gen_ai.evaluation.* keys are the semantic
# conventions'; the journey keys are the platform's own trace contract (docs/trace-contract.md).
_ATTRIBUTES = {
    "metric": "gen_ai.evaluation.name",
    "observed_value": "gen_ai.evaluation.score.value",
    "recommendation": "gen_ai.evaluation.score.label",
    "reason": "gen_ai.evaluation.explanation",
    "journey_name": "journey.name",
    "stage": "journey.stage",
    "channel": "channel",
    "segment": "customer.segment",
    "cohort_week": "journeys.cohort_week",
    "signal_id": "journeys.signal.id",
    "threshold": "journeys.signal.threshold",
    "conversations": "journeys.signal.conversations",
    "severity": "journeys.signal.severity",
    "window_start": "journeys.signal.window_start",
    "window_end": "journeys.signal.window_end",
}


def _attribute_value(value: Any) -> str | int | float | bool:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def event_attributes(signal: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """One routing signal as the attributes of a `gen_ai.evaluation.result` event."""
    return {
        key: _attribute_value(signal[column])
        for column, key in _ATTRIBUTES.items()
        if signal.get(column) is not None
    }


def export_routing_signals(signals: Sequence[Mapping[str, Any]], endpoint: str, *, timeout_s: float = 10) -> int:
    """Send the signals as events on one span to an OTLP/HTTP endpoint; returns how many.

    The span is recorded in memory first and exported in one call, so a failed export raises
    instead of being dropped by a background processor."""
    recorder = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "journeys"}))
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    with provider.get_tracer("journeys.routing").start_as_current_span(SPAN_NAME) as span:
        span.set_attribute("journeys.signal.count", len(signals))
        for signal in signals:
            span.add_event(EVENT_NAME, attributes=event_attributes(signal))
    provider.shutdown()
    result = OTLPSpanExporter(endpoint=endpoint, timeout=timeout_s).export(recorder.get_finished_spans())
    if result is not SpanExportResult.SUCCESS:
        raise ConnectionError(f"could not export {len(signals)} routing signal event(s) to {endpoint}")
    return len(signals)
