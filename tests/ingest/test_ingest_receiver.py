"""`journeys serve`: the standard OpenTelemetry exporter against the real receiver, then ingestion."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import requests
from google.rpc.status_pb2 import Status
from ingest_builders import DAY, JOURNEY, protobuf_body, request, rows, span, tid
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from serve_process import journeys_serve

from orchestration.ingest import ingest_partition
from orchestration.ingest.landing import list_landing_files

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def received_lines(receiver) -> list[dict]:
    files = list_landing_files(receiver.landing)
    return [orjson.loads(line) for f in files for line in Path(f.path).read_bytes().splitlines()]


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_exporter_to_receiver_to_ingestion_round_trip(receiver, warehouse, compression):
    resource = {"service.name": "round-trip", "journey.name": "billing_dispute", "journey.stage": "dispute-intake"}
    provider = TracerProvider(resource=Resource.create(resource))
    exporter = OTLPSpanExporter(endpoint=receiver.traces_url, compression=compression)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    attributes = {**JOURNEY, "session.id": "rt-1", "journey.stage": "investigation"}
    del attributes["journey.name"]
    with tracer.start_as_current_span("conversation", attributes=attributes) as root:
        with tracer.start_as_current_span("agent.message") as child:
            child.set_attribute("input.value", "Why was I charged twice?")
            child.set_attribute("output.value", "I see the duplicate charge; refunding it.")
        root.set_attribute("journey.stage.outcome", "completed")
    provider.shutdown()

    lines = received_lines(receiver)
    assert len(lines) == 2  # SimpleSpanProcessor: one request per span
    exported = [s for line in lines for s in line["resourceSpans"][0]["scopeSpans"][0]["spans"]]
    root_context = root.get_span_context()
    assert {s["traceId"] for s in exported} == {f"{root_context.trace_id:032x}"}  # hex, not base64
    assert {s["spanId"] for s in exported} == {f"{root_context.span_id:016x}", f"{child.get_span_context().span_id:016x}"}

    day = datetime.fromtimestamp(root.start_time / 1e9, UTC).date()
    report = ingest_partition(warehouse, receiver.landing, day)
    assert (report.spans, report.conversations, report.quarantined) == (2, 1, 0)
    (conversation,) = rows(warehouse, "select * from raw.conversations")
    assert conversation["conversation_id"] == "rt-1"
    assert (conversation["journey_name"], conversation["stage"], conversation["outcome"]) == (
        "billing_dispute",  # from the resource
        "investigation",  # the span's value wins over the resource's
        "completed",
    )
    assert [(t["role"], t["text"]) for t in conversation["turns"]] == [
        ("customer", "Why was I charged twice?"),
        ("agent", "I see the duplicate charge; refunding it."),
    ]


def test_traceai_path_takes_protobuf_requests_that_ingest(receiver, warehouse):
    """traceAI posts to `/tracer/v1/traces` on FI_BASE_URL's host: the same endpoint answers there."""
    document = request(span(1, 1, 0, 10, {**JOURNEY, "session.id": "fi-path", "input.value": "hello"}))
    body = protobuf_body(document)
    answer = requests.post(f"{receiver.url}/tracer/v1/traces", data=body, headers=PROTOBUF, timeout=10)
    assert answer.status_code == 200
    assert ExportTraceServiceResponse.FromString(answer.content) == ExportTraceServiceResponse()
    (line,) = received_lines(receiver)
    assert line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] == tid(1)
    report = ingest_partition(warehouse, receiver.landing, DAY)
    assert (report.spans, report.conversations, report.quarantined) == (1, 1, 0)
    assert rows(warehouse, "select conversation_id from raw.conversations") == [{"conversation_id": "fi-path"}]


_TRACEAI_SCRIPT = """
import sys
from fi_instrumentation import register
from fi_instrumentation.fi_types import ProjectType
from fi_instrumentation.otel import Transport

provider = register(project_name="journeys-test", project_type=ProjectType.OBSERVE, transport=Transport.HTTP,
                    verbose=False)
tracer = provider.get_tracer("traceai-test")
with tracer.start_as_current_span("conversation", attributes={
    "session.id": "fi-session", "customer.id": "cust-fi", "journey.id": "jrn-fi",
    "journey.name": "billing_dispute", "journey.stage": "investigation", "channel": "chat", "agent.type": "ai",
}) as root:
    with tracer.start_as_current_span("llm", attributes={
        "fi.span.kind": "LLM",
        "gen_ai.input.messages.0.message.role": "user",
        "gen_ai.input.messages.0.message.content": "Why was I charged twice?",
        "gen_ai.output.messages.0.message.role": "assistant",
        "gen_ai.output.messages.0.message.content": "I see the duplicate charge; refunding it.",
    }):
        pass
print(root.start_time)
sys.stdout.flush()
provider.shutdown()  # flushes the batch processor
"""


def test_traceai_register_exports_to_the_receiver_unchanged(receiver, warehouse):
    """traceAI's own `register(transport=HTTP)` with only FI_BASE_URL pointed at `journeys serve`.

    In a subprocess: `register` installs SIGINT/SIGTERM handlers and an atexit hook, and reads its
    endpoint from the environment, none of which belongs in the test process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FI_", "OTEL_"))}
    environment["FI_BASE_URL"] = receiver.url  # scheme and host only; traceAI adds /tracer/v1/traces
    done = subprocess.run(
        [sys.executable, "-c", _TRACEAI_SCRIPT],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Failed to export" not in done.stderr, done.stderr
    started_ns = int(done.stdout.split()[-1])

    lines = received_lines(receiver)
    exported = [s for line in lines for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert len(exported) == 2
    day = datetime.fromtimestamp(started_ns / 1e9, UTC).date()
    report = ingest_partition(warehouse, receiver.landing, day)
    assert (report.spans, report.conversations, report.quarantined) == (2, 1, 0)
    (conversation,) = rows(warehouse, "select * from raw.conversations")
    assert (conversation["conversation_id"], conversation["journey_id"], conversation["stage"]) == (
        "fi-session",
        "jrn-fi",
        "investigation",
    )
    assert [(t["role"], t["text"]) for t in conversation["turns"]] == [
        ("customer", "Why was I charged twice?"),
        ("agent", "I see the duplicate charge; refunding it."),
    ]


@pytest.mark.parametrize("encoding", [None, "gzip", "gzip-members", "deflate"])
def test_json_bodies_plain_or_compressed_land_as_one_line(receiver, encoding):
    body = orjson.dumps(request(span(1, 1, 0, 10, JOURNEY)), option=orjson.OPT_INDENT_2)  # pretty-printed
    headers = dict(JSON)
    if encoding == "gzip-members":  # a gzip body of two members is their concatenation
        body = gzip.compress(body[:100]) + gzip.compress(body[100:])
        encoding = "gzip"
    elif encoding:
        body = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    if encoding:
        headers["Content-Encoding"] = encoding
    answer = requests.post(receiver.traces_url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.json() == {}
    (line,) = received_lines(receiver)
    assert line == request(span(1, 1, 0, 10, JOURNEY))
    (landed,) = list_landing_files(receiver.landing)
    assert Path(landed.path).read_bytes().count(b"\n") == 1


def test_an_empty_request_is_accepted_and_writes_nothing(receiver):
    answer = requests.post(receiver.traces_url, data=b"", headers=PROTOBUF, timeout=10)
    assert answer.status_code == 200
    assert ExportTraceServiceResponse.FromString(answer.content) == ExportTraceServiceResponse()
    assert list_landing_files(receiver.landing) == []


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        (PROTOBUF, b"\xff\xff\xff\xff garbage", 400, "not a protobuf ExportTraceServiceRequest"),
        (JSON, b'{"resourceSpans": [', 400, "not valid JSON"),
        (JSON, b"[1, 2]", 400, "expected a JSON object"),
        ({**JSON, "Content-Encoding": "gzip"}, b"not gzip at all", 400, "not valid gzip"),
        ({**JSON, "Content-Encoding": "gzip"}, gzip.compress(b'{"resourceSpans": []}')[:-12], 400, "truncated"),
        ({**JSON, "Content-Encoding": "br"}, b"{}", 415, "unsupported Content-Encoding"),
        ({"Content-Type": "text/plain"}, b"hello", 415, "unsupported Content-Type"),
        (JSON, b"{" + b" " * (300 * 1024) + b"}", 413, "exceeds the 262144-byte limit"),
        ({**JSON, "Content-Encoding": "gzip"}, gzip.compress(b"{" + b" " * (2 << 20) + b"}"), 413, "decompressed body"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(receiver, headers, body, status, message):
    answer = requests.post(receiver.traces_url, data=body, headers=headers, timeout=10)
    assert answer.status_code == status
    if headers["Content-Type"] == PROTOBUF["Content-Type"]:
        reason = Status.FromString(answer.content).message
    else:
        reason = answer.json()["message"]
    assert message in reason
    assert list_landing_files(receiver.landing) == []


def _envelope(shape: str) -> dict:
    """A request whose envelope has one part of the wrong type, beside a valid span where it can."""
    valid = span(1, 1, 0, 10, JOURNEY)
    return {
        "resourceSpans an object": {"resourceSpans": {"scopeSpans": [{"spans": [valid]}]}},
        "resourceSpans[0] a string": {"resourceSpans": ["x"]},
        "scopeSpans an object": {"resourceSpans": [{"scopeSpans": {"spans": [valid]}}]},
        "scopeSpans[0] a number": {"resourceSpans": [{"scopeSpans": [{"spans": [valid]}, 7]}]},
        "spans an object": {"resourceSpans": [{"scopeSpans": [{"spans": valid}]}]},
        "spans[1] a string": {"resourceSpans": [{"scopeSpans": [{"spans": [valid, "x"]}]}]},
    }[shape]


ENVELOPE_PROBLEMS = {
    "resourceSpans an object": "resourceSpans must be an array, not object",
    "resourceSpans[0] a string": "resourceSpans[0] must be an object, not string",
    "scopeSpans an object": "resourceSpans[0].scopeSpans must be an array, not object",
    "scopeSpans[0] a number": "resourceSpans[0].scopeSpans[1] must be an object, not number",
    "spans an object": "resourceSpans[0].scopeSpans[0].spans must be an array, not object",
    "spans[1] a string": "resourceSpans[0].scopeSpans[0].spans[1] must be an object, not string",
}


@pytest.mark.parametrize("shape", ENVELOPE_PROBLEMS)
def test_a_json_envelope_of_the_wrong_shape_is_refused_naming_the_field(receiver, shape):
    """Not a 200 that writes nothing: protobuf's JSON parser (and the Collector) refuse these."""
    answer = requests.post(receiver.traces_url, data=orjson.dumps(_envelope(shape)), headers=JSON, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["message"] == ENVELOPE_PROBLEMS[shape]
    assert list_landing_files(receiver.landing) == []


@pytest.mark.parametrize(
    "body", [{}, {"resourceSpans": None}, {"resourceSpans": [{"scopeSpans": None}]}, {"resourceSpans": [{}]},
             {"resourceSpans": [{"scopeSpans": [{"spans": None}]}]}]
)
def test_null_or_missing_repeated_fields_are_empty_not_errors(receiver, body):
    """The protobuf JSON mapping reads null as the default: an empty request, 200, nothing written."""
    answer = requests.post(receiver.traces_url, data=orjson.dumps(body), headers=JSON, timeout=10)
    assert answer.status_code == 200
    assert list_landing_files(receiver.landing) == []


def test_a_failed_write_is_a_retryable_503_not_a_200(receiver):
    receiver.landing.write_text("a file where the landing directory should be")
    answer = requests.post(receiver.traces_url, data=orjson.dumps(request(span(1, 1, 0, 1))), headers=JSON, timeout=10)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"  # exporters wait this long before retrying
    message = answer.json()["message"]
    assert message.startswith("cannot write to the landing directory: ")
    assert str(receiver.landing.parent) not in message  # no server path in an answer


def test_health_says_how_loaded_it_is_and_names_no_path(receiver):
    answer = requests.get(f"{receiver.url}/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "in_flight_requests": 0, "buffered_bytes": 0, "open_batch_requests": 0}


def test_journeys_serve_command_runs_the_receiver(tmp_path):
    landing = tmp_path / "landing"
    with journeys_serve("--host", "127.0.0.1", "--landing-dir", str(landing), "--max-body-mb", "1") as serving:
        assert requests.get(f"{serving.url}/health", timeout=10).json()["status"] == "ok"
        posted = requests.post(
            f"{serving.url}/v1/traces", data=orjson.dumps(request(span(1, 1, 0, 1))), headers=JSON, timeout=10
        )
        assert posted.status_code == 200
        # Durable at once, in the open batch; published as a trace file when the batch's second is up.
        deadline = time.monotonic() + 30
        while not list_landing_files(landing):
            assert time.monotonic() < deadline, "the batch was never published"
            time.sleep(0.1)
        assert len(list_landing_files(landing)) == 1
    assert f"http://127.0.0.1:{serving.port}/v1/traces" in serving.output
