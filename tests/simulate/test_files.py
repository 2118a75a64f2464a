"""The trace files: OTLP/JSON shape, determinism, idempotence, and every convention present."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections import Counter

import pytest
from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from sim_reader import START, read_lines, read_spans

from orchestration.simulate import simulate
from orchestration.simulate.writer import FILE_PREFIX

HEX_IDS = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


def _tiny(tmp_path, journey_map, name="landing", **overrides):
    kwargs = {"journeys": 40, "start": START, "days": 4, "seed": 5, "journey_map": journey_map, **overrides}
    return simulate(tmp_path / name, **kwargs)


def _bytes(out_dir):
    return {p.name: p.read_bytes() for p in sorted(out_dir.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path, journey_map):
    first = _tiny(tmp_path, journey_map, "a")
    second = _tiny(tmp_path, journey_map, "b")
    other = _tiny(tmp_path, journey_map, "c", seed=6)
    assert _bytes(first.out_dir) == _bytes(second.out_dir)
    assert first.truth.to_json() == second.truth.to_json()
    assert _bytes(first.out_dir) != _bytes(other.out_dir)
    assert first.truth.to_json() != other.truth.to_json()


def test_rerun_into_the_same_directory_is_idempotent(tmp_path, journey_map):
    result = _tiny(tmp_path, journey_map)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in result.out_dir.iterdir()}
    _tiny(tmp_path, journey_map)
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in result.out_dir.iterdir()} == before


def test_files_of_another_simulation_are_refused_and_nothing_is_written(tmp_path, journey_map):
    _tiny(tmp_path, journey_map, days=6)
    before = _bytes(tmp_path / "landing")
    with pytest.raises(FileExistsError, match="another simulation"):
        _tiny(tmp_path, journey_map, days=3, seed=9)
    assert _bytes(tmp_path / "landing") == before


_FAILING_SIMULATION = """
import resource, sys
from datetime import date
from pathlib import Path
from orchestration.simulate import simulate

resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the disk fills at 4 KiB a file
try:
    simulate(Path(sys.argv[1]), journeys=40, start=date(2026, 10, 5), days=2, seed=5)
except OSError as exc:
    print(exc.strerror)
"""


def test_a_failed_write_leaves_no_hidden_file_in_the_landing_directory(tmp_path):
    landing = tmp_path / "landing"
    done = subprocess.run(
        [sys.executable, "-c", _FAILING_SIMULATION, str(landing)], check=True, capture_output=True, text=True
    )
    assert done.stdout.strip() == "File too large", done.stderr
    assert [p.name for p in landing.rglob(".*")] == []


def test_only_trace_files_land_with_every_extension(small_run):
    names = [p.name for p in small_run.out_dir.iterdir()]
    assert all(re.fullmatch(rf"{FILE_PREFIX}\d{{4}}-\d\d-\d\d-\d\d\.(jsonl|json|jsonl\.gz)", n) for n in names), names
    assert {n.split(".", 1)[1] for n in names} == {"jsonl", "json", "jsonl.gz"}
    assert not any(p.is_relative_to(small_run.out_dir) for p in [small_run.truth_path])
    # one file set per day of the window, named after the day
    assert {n[len(FILE_PREFIX):][:10] for n in names} == {f.day.isoformat() for f in small_run.files}


def _hex_to_base64(request: dict) -> dict:
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping expects base64 for bytes fields."""
    for rs in request["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in HEX_IDS:
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return request


def test_every_line_is_an_export_request_in_otlp_json(small_run):
    lines = spans = 0
    for path in small_run.out_dir.iterdir():
        for line in read_lines(path):
            request = json.loads(line)
            for rs in request["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        spans += 1
                        for key, length in HEX_IDS.items():
                            if key in span:
                                assert re.fullmatch(rf"[0-9a-f]{{{length}}}", span[key]), (key, span[key])
                        assert re.fullmatch(r"\d{19}", span["startTimeUnixNano"])
                        assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])
                        assert isinstance(span["kind"], int) and 1 <= span["kind"] <= 5
            parsed = ParseDict(_hex_to_base64(request), ExportTraceServiceRequest())
            assert sum(len(ss.spans) for rs in parsed.resource_spans for ss in rs.scope_spans) > 0
            lines += 1
    assert spans == small_run.span_count
    # a collector batches: several traces per line, and a conversation's spans over several lines
    assert lines < small_run.trace_count / 3


def test_attribute_values_use_every_anyvalue_type(small_run):
    kinds: Counter = Counter()
    for path in small_run.out_dir.iterdir():
        for line in read_lines(path):
            kinds.update(re.findall(rb'"(stringValue|intValue|doubleValue|boolValue|arrayValue|kvlistValue)"', line))
            assert b'"intValue":' not in line or not re.search(rb'"intValue":\d', line), "intValue must be a string"
    assert set(kinds) == {b"stringValue", b"intValue", b"doubleValue", b"boolValue", b"arrayValue", b"kvlistValue"}


def test_every_convention_key_and_placement_appears(small_run):
    spans = read_spans(small_run.out_dir)
    keys = set().union(*(s.attributes for s in spans))
    for required in (
        "gen_ai.input.messages.0.message.content", "gen_ai.output.messages.0.message.content", "fi.span.kind",
        "gen_ai.span.kind", "llm.input_messages.0.message.content", "llm.output_messages.0.message.role",
        "openinference.span.kind", "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.operation.name",
        "input.value", "output.value", "lk.user_input", "lk.response.text", "lk.room_name",
        "session.id", "gen_ai.conversation.id", "conversation.id", "csat.score", "journey.channel", "channel",
        "customer.consent",
    ):
        assert required in keys, required
    assert any("journey.id" in s.resource for s in spans), "journey attributes on the resource"
    genai = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    parsed = [json.loads(s.attributes["gen_ai.input.messages"]) for s in genai]
    assert all(isinstance(p, list) for p in parsed) and any(p and "parts" in p[0] for p in parsed)
    assert any(p and "content" in p[0] and "parts" not in p[0] for p in parsed), "the plain-content variant"
    truth = small_run.truth.conversations
    assert {c.key_attribute for c in truth} == {"session.id", "gen_ai.conversation.id", "conversation.id",
                                                 "lk.room_name", "trace_id"}
    assert {c.attribute_placement for c in truth} == {"root", "every", "resource"}
    assert {c.convention for c in truth} == {"traceai", "openinference", "genai", "livekit", "human"}
    assert {c.per_turn_traces for c in truth} == {True, False}


def test_span_trees_are_well_formed(small_run):
    spans = read_spans(small_run.out_dir)
    by_id = {s.span_id: s for s in spans}
    assert len(by_id) == len(spans), "span ids are unique"
    for span in spans:
        assert span.start < span.end
        if span.parent_span_id:
            parent = by_id[span.parent_span_id]
            assert parent.trace_id == span.trace_id
            assert parent.start <= span.start and span.end <= parent.end, (span.name, parent.name)


def test_spans_per_day_fills_the_window_deterministically(tmp_path, journey_map):
    first = _tiny(tmp_path, journey_map, "a", journeys=None, spans_per_day=300)
    second = _tiny(tmp_path, journey_map, "b", journeys=None, spans_per_day=300)
    assert _bytes(first.out_dir) == _bytes(second.out_dir)
    assert first.truth.to_json() == second.truth.to_json()
    # Journeys stop as soon as the window holds the spans asked for: one journey fewer would not.
    assert first.span_count >= 300 * 4
    assert _tiny(tmp_path, journey_map, "d", journeys=first.truth.journeys_requested - 1).span_count < 300 * 4
    same_journeys = _tiny(tmp_path, journey_map, "c", journeys=first.truth.journeys_requested)
    assert _bytes(same_journeys.out_dir) == _bytes(first.out_dir)


def test_journeys_and_spans_per_day_are_mutually_exclusive(tmp_path, journey_map):
    with pytest.raises(ValueError, match="not both"):
        _tiny(tmp_path, journey_map, spans_per_day=300)
