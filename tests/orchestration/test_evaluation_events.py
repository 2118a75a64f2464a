"""Routing signals written back as OTel gen_ai.evaluation.result events, over real OTLP/HTTP
to the platform's own receiver (any OTLP backend would do)."""

import json
from datetime import date, datetime

import pytest

from orchestration.evaluation_events import EVENT_NAME, SPAN_NAME, event_attributes, export_routing_signals

SIGNALS = [
    {
        "signal_id": "a1", "journey_name": "streaming_onboarding", "stage": "payment", "cohort_week": "2026-W45",
        "segment": None, "channel": "sms", "recommendation": "route_to_human_earlier", "metric": "resolution_rate",
        "observed_value": 0.41, "threshold": 0.75, "conversations": 37, "severity": "high",
        "window_start": date(2026, 11, 9), "window_end": date(2026, 11, 16),
        "reason": "payment over sms resolves 41% of conversations against a 75% threshold",
        "generated_at": datetime(2026, 11, 16, 2, 0),
    },
    {
        "signal_id": "b2", "journey_name": "streaming_onboarding", "stage": "app-install", "cohort_week": "2026-W45",
        "segment": None, "channel": None, "recommendation": "add_context_bridge", "metric": "context_retention",
        "observed_value": 0.42, "threshold": 0.75, "conversations": 52, "severity": "medium",
        "window_start": date(2026, 11, 9), "window_end": date(2026, 11, 16),
        "reason": "the hand-off from content-prefs keeps 0.42 of the context", "generated_at": None,
    },
]


def test_attributes_follow_the_genai_evaluation_convention():
    attrs = event_attributes(SIGNALS[0])
    assert attrs["gen_ai.evaluation.name"] == "resolution_rate"
    assert attrs["gen_ai.evaluation.score.value"] == 0.41
    assert attrs["gen_ai.evaluation.score.label"] == "route_to_human_earlier"
    assert attrs["gen_ai.evaluation.explanation"].startswith("payment over sms")
    assert attrs["journey.stage"] == "payment" and attrs["journeys.signal.window_start"] == "2026-11-09"
    assert "customer.segment" not in attrs  # nulls are left out, not sent as "None"


def test_signals_arrive_as_events_at_an_otlp_receiver(receiver):
    assert export_routing_signals(SIGNALS, receiver.traces_url) == 2
    (landed,) = list(receiver.landing.rglob("*.jsonl"))
    request = json.loads(landed.read_text().splitlines()[0])
    (span,) = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert span["name"] == SPAN_NAME
    events = span["events"]
    assert [e["name"] for e in events] == [EVENT_NAME, EVENT_NAME]
    labels = [
        next(a["value"]["stringValue"] for a in e["attributes"] if a["key"] == "gen_ai.evaluation.score.label")
        for e in events
    ]
    assert labels == ["route_to_human_earlier", "add_context_bridge"]


def test_an_unreachable_endpoint_raises_instead_of_dropping():
    with pytest.raises(ConnectionError, match="could not export 2"):
        export_routing_signals(SIGNALS, "http://127.0.0.1:9/v1/traces", timeout_s=1)


def test_written_back_events_are_kept_as_spans_but_are_not_conversations(receiver, tmp_path):
    """Pointing the write-back at the platform's own receiver must not create a conversation
    without journey attributes, which would fail (and block) that day's quality gate."""
    import duckdb

    from orchestration.ingest import ingest_partition

    export_routing_signals(SIGNALS, receiver.traces_url)
    (landed,) = list(receiver.landing.rglob("*.jsonl"))
    day = date.fromisoformat(landed.parent.name)  # the receiver files requests by UTC date
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        report = ingest_partition(con, receiver.landing, day)
        spans = con.execute("select name from raw.spans").fetchall()
    assert report.conversations == 0
    assert spans == [(SPAN_NAME,)]
