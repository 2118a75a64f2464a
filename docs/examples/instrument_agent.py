"""Instrument a customer-agent conversation with the OpenTelemetry SDK, for `journeys serve` or a file.

Run `journeys serve` in one terminal, then `python docs/examples/instrument_agent.py` in another
(`--endpoint URL` for another receiver). Or, without a receiver, write OTLP/JSON files straight
into the landing directory: `python docs/examples/instrument_agent.py --file data/landing`.
docs/trace-contract.md includes this file verbatim and tests/ingest/test_ingest_contract_example.py
runs it both ways, so it cannot drift from what ingestion reads.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces")


class OtlpJsonFileExporter(SpanExporter):
    """Writes each batch as one OTLP/JSON line (an ExportTraceServiceRequest with hex ids, as the
    Collector's file exporter writes it) to a new `.jsonl` file in `directory`: a hidden temporary
    file, fsynced, then renamed into place, so ingestion never reads half a file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        request = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
        for resource_spans in request.get("resourceSpans", []):
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    for item in (span, *span.get("links", [])):  # OTLP/JSON ids are hex, not base64
                        for field in ("traceId", "spanId", "parentSpanId"):
                            if field in item:
                                item[field] = base64.b64decode(item[field]).hex()
        name = f"traces-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}.jsonl"
        temporary = self.directory / f".{name}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(request, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.directory / name)
        return SpanExportResult.SUCCESS


def run_conversation(provider: TracerProvider, session_id: str) -> None:
    """One chat in the payment stage of a streaming onboarding journey, then a CSAT answer."""
    tracer = provider.get_tracer("my-support-agent", "1.0.0")
    journey = {
        "session.id": session_id,  # the conversation key (see "Conversation key" above)
        "customer.id": "cust-0042",
        "journey.id": "jrn-0042-onboarding",
        "journey.name": "streaming_onboarding",  # a journey of journey_map.yaml
        "journey.stage": "payment",  # one of that journey's stages
        "channel": "chat",  # one of that journey's channels
        "agent.type": "ai",
        "customer.segment": "premium",
        "customer.consent": "granted",
    }
    history = [{"role": "system", "parts": [{"type": "text", "content": "You help with sign-ups."}]}]
    customer_turns = ["My card was declined.", "It is a Visa ending 4242."]
    replies = ["Sorry about that! Which card did you use?", "Thanks, I have retried it and it went through."]
    with tracer.start_as_current_span("support_conversation", attributes=journey) as root:
        for said, reply in zip(customer_turns, replies):
            history.append({"role": "user", "parts": [{"type": "text", "content": said}]})
            # OpenTelemetry GenAI semantic conventions: the whole history on every LLM call.
            with tracer.start_as_current_span("chat gpt-4o-mini") as llm:
                llm.set_attribute("gen_ai.operation.name", "chat")
                llm.set_attribute("gen_ai.request.model", "gpt-4o-mini")
                llm.set_attribute("gen_ai.input.messages", json.dumps(history))
                answer = {"role": "assistant", "parts": [{"type": "text", "content": reply}]}
                llm.set_attribute("gen_ai.output.messages", json.dumps([answer]))
            history.append(answer)
            time.sleep(0.01)
        root.set_attribute("journey.stage.outcome", "completed")  # known at the end
    # A survey answer for the journey: its own span, no stage needed.
    with tracer.start_as_current_span("csat.survey.response") as survey:
        survey.set_attribute("journey.id", journey["journey.id"])
        survey.set_attribute("customer.id", journey["customer.id"])
        survey.set_attribute("journey.name", journey["journey.name"])
        survey.set_attribute("csat.score", 5)


def main(endpoint: str = ENDPOINT, session_id: str = "sess-example-0001", file_dir: Path | None = None) -> None:
    """Export to `journeys serve` at `endpoint`, or, given `file_dir`, as files into that directory."""
    exporter = OtlpJsonFileExporter(file_dir) if file_dir else OTLPSpanExporter(endpoint=endpoint)
    provider = TracerProvider(resource=Resource.create({"service.name": "my-support-agent"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    run_conversation(provider, session_id)
    provider.shutdown()  # flushes the batch to the receiver or the file


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=ENDPOINT, help="OTLP/HTTP traces URL (default %(default)s)")
    parser.add_argument("--file", type=Path, metavar="DIR", help="write OTLP/JSON files into DIR instead")
    parser.add_argument("--session-id", default="sess-example-0001")
    arguments = parser.parse_args()
    main(arguments.endpoint, arguments.session_id, arguments.file)
