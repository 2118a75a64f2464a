"""Instrument a customer-agent conversation with the OpenTelemetry SDK for `journeys serve`.

Run `journeys serve` in one terminal, then `python docs/examples/instrument_agent.py` in another.
docs/trace-contract.md includes this file verbatim and tests/ingest/test_trace_contract_example.py
runs it, so it cannot drift from what ingestion reads.
"""

from __future__ import annotations

import json
import os
import time

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces")


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


def main(endpoint: str = ENDPOINT, session_id: str = "sess-example-0001") -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "my-support-agent"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    run_conversation(provider, session_id)
    provider.shutdown()  # flushes the batch to the receiver


if __name__ == "__main__":
    main()
