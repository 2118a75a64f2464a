"""Hand-written OTLP/JSON lines: small enough to read, exact enough to assert on."""

import json
from datetime import UTC, datetime


def _nanos(at: datetime) -> str:
    return str(int(at.replace(tzinfo=UTC).timestamp() * 1e9))


def _attr(key: str, value) -> dict:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def conversation_line(
    trace_id: str,
    at: datetime,
    *,
    stage: str | None = "payment",
    journey_id: str = "j-late",
    customer_id: str = "c-late",
    channel: str = "chat",
    span_id: str | None = None,
) -> str:
    """One ExportTraceServiceRequest holding a one-turn AI conversation."""
    attrs = {
        "session.id": f"s-{trace_id[:8]}",
        "customer.id": customer_id,
        "journey.id": journey_id,
        "journey.name": "streaming_onboarding",
        "channel": channel,
        "agent.type": "ai",
        "journey.stage.outcome": "completed",
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Hi, my card was declined."}]}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "It went through now."}]}]),
    }
    if stage is not None:
        attrs["journey.stage"] = stage
    span = {
        "traceId": trace_id,
        "spanId": span_id or trace_id[:16],
        "name": "chat",
        "kind": 1,
        "startTimeUnixNano": _nanos(at),
        "endTimeUnixNano": _nanos(at.replace(minute=at.minute + 5)),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
    }
    return json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]})
