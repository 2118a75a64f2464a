"""Poison input: content that used to stop ingestion for every day (issue 10). Each span that
cannot be converted is quarantined with a reason; the rest of its line, its file and every other
day are still ingested, in-process, in the decode pool and through the decode cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
import requests
from google.rpc.code_pb2 import INVALID_ARGUMENT
from google.rpc.status_pb2 import Status
from ingest_builders import DAY, T0, request, rows, sid, span, tid, write_lines
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from orchestration.ingest import decode, decode_pool, landing_file_days
from orchestration.ingest.decode import decode_file
from orchestration.ingest.landing import list_landing_files
from orchestration.ingest.otlp_values import MAX_NESTING_DEPTH

NEXT_DAY = DAY + timedelta(days=1)
NEXT_T0 = T0 + timedelta(days=1)
DEEP = "__deep__"  # stands for the nested value's JSON text, spliced in after encoding


def deep_value(levels: int, kind: str = "arrayValue") -> str:
    """An AnyValue `levels` AnyValue levels deep, as JSON text (orjson refuses to write 255+ levels)."""
    opening = {
        "arrayValue": '{"arrayValue":{"values":[',
        "kvlistValue": '{"kvlistValue":{"values":[{"key":"k","value":',
    }
    closing = {"arrayValue": "]}}", "kvlistValue": "}]}}"}
    return opening[kind] * (levels - 1) + '{"stringValue":"leaf"}' + closing[kind] * (levels - 1)


def with_deep_value(document: dict, levels: int, kind: str = "arrayValue") -> str:
    """The request as one JSON line, each `DEEP` string value replaced by the nested value."""
    return orjson.dumps(document).decode().replace(f'"{DEEP}"', deep_value(levels, kind))


def deep_span(trace: int, span_n: int, start: float = 0) -> dict:
    encoded = span(trace, span_n, start, start + 1, {"journey.id": f"j{trace}"})
    encoded["attributes"].append({"key": "deep", "value": DEEP})
    return encoded


def test_a_value_nested_300_levels_deep_stops_nothing(landing, warehouse, ingest):
    """The audit's probe: it used to make every day's ingestion raise (orjson's recursion limit)."""
    line = with_deep_value(request(span(1, 1, 0, 1), deep_span(2, 2), span(3, 3, 5, 6)), 300)
    poison = write_lines(landing / "poison.jsonl", [line, request(span(4, 4, 0, 1))])
    write_lines(landing / "next.jsonl", [request(span(5, 5, 0, 1, base=NEXT_T0))])

    assert landing_file_days(poison) == {DAY}
    report = ingest(DAY)
    assert ingest(NEXT_DAY).spans == 1
    assert report.spans == 3
    assert report.quarantined_by_reason == {"nesting_too_deep": 1}
    assert sorted(r["trace_id"] for r in rows(warehouse, "select trace_id from raw.spans")) == [
        tid(n) for n in (1, 3, 4, 5)
    ]
    (row,) = rows(
        warehouse, "select line_number, reason, trace_id, span_id, raw_text from raw.ingest_quarantine"
    )
    assert row["line_number"] == 1
    assert row["reason"] == (
        f"nesting_too_deep: attributes[1] (deep): an AnyValue is nested more than {MAX_NESTING_DEPTH} levels deep"
    )
    assert (row["trace_id"], row["span_id"]) == (tid(2), sid(2))
    assert row["raw_text"] and len(row["raw_text"]) <= 2_000


def test_a_line_nested_past_the_json_parsers_depth_is_quarantined_as_nesting_too_deep(landing, warehouse, ingest):
    """Past orjson's 1,024 JSON levels (about 340 AnyValue levels) the line cannot be parsed at
    all, so it is set aside whole; its reason says why, rather than calling it broken JSON."""
    line = with_deep_value(request(span(1, 1, 0, 1), deep_span(2, 2)), 400)
    write_lines(landing / "poison.jsonl", [line, request(span(4, 4, 0, 1))])

    report = ingest(DAY)
    assert report.spans == 1
    assert report.quarantined_by_reason == {"nesting_too_deep": 1}
    (row,) = rows(warehouse, "select line_number, reason from raw.ingest_quarantine")
    assert row["line_number"] == 1
    assert row["reason"].startswith("nesting_too_deep: the line nests deeper than the JSON parser reads")


@pytest.mark.parametrize("kind", ["arrayValue", "kvlistValue"])
def test_nesting_is_counted_in_any_value_levels_and_32_is_the_limit(landing, warehouse, ingest, kind):
    line_32 = with_deep_value(request(deep_span(1, 1)), MAX_NESTING_DEPTH, kind)
    line_33 = with_deep_value(request(deep_span(2, 2)), MAX_NESTING_DEPTH + 1, kind)
    write_lines(landing / "nested.jsonl", [line_32, line_33])

    report = ingest(DAY)
    assert report.spans == 1
    assert report.quarantined_by_reason == {"nesting_too_deep": 1}
    (kept,) = rows(warehouse, "select trace_id, attributes->'$.deep' as deep from raw.spans")
    assert kept["trace_id"] == tid(1)
    # All 32 levels are stored: 31 containers around the leaf.
    value, levels = orjson.loads(kept["deep"]), 1
    while value != "leaf":
        value, levels = value[0] if kind == "arrayValue" else value["k"], levels + 1
    assert levels == MAX_NESTING_DEPTH
    (quarantined,) = rows(warehouse, "select trace_id, reason from raw.ingest_quarantine")
    assert quarantined["trace_id"] == tid(2)
    assert quarantined["reason"].startswith("nesting_too_deep: ")


def _placed(where: str) -> dict:
    """A request with one good span and one span whose `where` holds a value 33 levels deep."""
    deep_attributes = [{"key": "deep", "value": DEEP}]
    bad = span(2, 2, 0, 1)
    document = request(span(1, 1, 0, 1))
    if where == "span event":
        bad["events"] = [
            {"name": "e", "timeUnixNano": bad["startTimeUnixNano"], "attributes": deep_attributes}
        ]
    elif where == "span link":
        bad["links"] = [{"traceId": tid(9), "spanId": sid(9), "attributes": deep_attributes}]
    elif where == "resource":
        document["resourceSpans"].append(
            {"resource": {"attributes": deep_attributes}, "scopeSpans": [{"spans": [bad]}]}
        )
        return document
    elif where == "scope":
        document["resourceSpans"].append(
            {"scopeSpans": [{"scope": {"name": "s", "attributes": deep_attributes}, "spans": [bad]}]}
        )
        return document
    document["resourceSpans"][0]["scopeSpans"][0]["spans"].append(bad)
    return document


@pytest.mark.parametrize("where", ["span event", "span link", "resource", "scope"])
def test_every_attribute_list_has_the_same_limit(tmp_path, where):
    path = write_lines(tmp_path / "deep.jsonl", [with_deep_value(_placed(where), MAX_NESTING_DEPTH + 1)])
    decoded = decode_file(path)
    assert decoded.tables.spans.column("traceId").to_pylist() == [tid(1)]
    (record,) = decoded.quarantine
    assert record.reason.startswith("nesting_too_deep: ")
    assert (record.trace_id, record.span_id) == (tid(2), sid(2))


def test_an_int_value_of_thousands_of_digits_is_quarantined_not_fatal(landing, warehouse, ingest):
    """Python refuses to convert more than 4,300 digits; that ValueError used to escape."""
    huge = span(2, 2, 0, 1)
    huge["attributes"].append({"key": "n", "value": {"intValue": "9" * 5_000}})
    write_lines(landing / "huge.jsonl", [request(span(1, 1, 0, 1), huge)])
    report = ingest(DAY)
    assert report.spans == 1
    assert report.quarantined_by_reason == {"wrong_value_type": 1}


def test_a_span_the_decoder_fails_on_is_quarantined_as_unconvertible(monkeypatch, landing, warehouse, ingest):
    """A bug in conversion (injected here) sets aside only the span it hits, with the error."""
    convention_texts = decode.convention_texts

    def failing(attributes):
        if attributes and "trigger.bug" in attributes:
            raise RuntimeError("injected decoder bug")
        return convention_texts(attributes)

    monkeypatch.setattr(decode, "convention_texts", failing)
    write_lines(
        landing / "bug.jsonl",
        [request(span(1, 1, 0, 1), span(2, 2, 0, 1, {"trigger.bug": "yes"}), span(3, 3, 0, 1))],
    )
    report = ingest(DAY)
    assert report.spans == 2
    (row,) = rows(warehouse, "select reason, trace_id from raw.ingest_quarantine")
    assert row == {"reason": "unconvertible: RuntimeError: injected decoder bug", "trace_id": tid(2)}


def test_a_file_the_decoder_fails_on_is_quarantined_and_others_ingest(
    monkeypatch, landing, warehouse, ingest
):
    """A bug outside any one span (building the file's tables, injected here) sets the file aside."""
    tables = decode._FileDecoder.tables

    def failing(self):
        if self.source.endswith("bug.jsonl"):
            raise RuntimeError("injected table bug")
        return tables(self)

    monkeypatch.setattr(decode._FileDecoder, "tables", failing)
    bug = write_lines(landing / "bug.jsonl", [request(span(1, 1, 0, 1))])
    write_lines(landing / "good.jsonl", [request(span(2, 2, 0, 1))])
    assert ingest(DAY).spans == 1
    (home_day,) = landing_file_days(bug)  # no span read from it: its mtime's day
    assert ingest(home_day).quarantined_by_reason == {"unconvertible": 1}
    (row,) = rows(warehouse, "select reason, line_number, source_file from raw.ingest_quarantine")
    assert row["reason"] == "unconvertible: RuntimeError: injected table bug"
    assert row["line_number"] is None and row["source_file"].endswith("bug.jsonl")


def test_poison_decoded_in_the_process_pool_is_quarantined(monkeypatch, tmp_path):
    monkeypatch.setattr(decode_pool, "PARALLEL_MIN_BYTES", 0)
    poison = write_lines(
        tmp_path / "poison.jsonl", [with_deep_value(request(span(1, 1, 0, 1), deep_span(2, 2)), 300)]
    )
    good = write_lines(tmp_path / "good.jsonl", [request(span(3, 3, 0, 1))])
    assert decode_pool.usable_cores() > 1, "the pool needs two cores"
    decoded = list(decode_pool.decode_files([poison, good]))
    assert [d.tables.spans.num_rows for d in decoded] == [1, 1]
    assert [r.reason.split(":")[0] for r in decoded[0].quarantine] == ["nesting_too_deep"]


def test_poison_served_from_the_decode_cache_is_quarantined_on_its_day(landing, warehouse, ingest):
    """The file feeds two days; the second reads it from the decode cache, quarantine included."""
    line = with_deep_value(request(span(1, 1, 0, 1), deep_span(2, 2), span(3, 3, 0, 1, base=NEXT_T0)), 300)
    write_lines(landing / "poison.jsonl", [line])
    assert ingest(NEXT_DAY).quarantined == 0
    report = ingest(DAY)
    assert report.files_from_cache == 1
    assert report.quarantined_by_reason == {"nesting_too_deep": 1}
    assert report.spans == 1


def test_landing_file_days_of_a_vanished_file_or_broken_link_does_not_raise(landing, tmp_path):
    assert landing_file_days(landing / "gone.jsonl") == set()
    link = landing / "dangling.jsonl"
    link.symlink_to(tmp_path / "nowhere.jsonl")
    # The link's own mtime day, where ingestion reports it as an unreadable file.
    assert landing_file_days(link) == {datetime.fromtimestamp(link.lstat().st_mtime, UTC).date()}


def _protobuf_body(levels: int, kind: str) -> bytes:
    """A protobuf request with one span whose attribute is `levels` AnyValue levels deep."""
    value = AnyValue(string_value="leaf")
    for _ in range(levels - 1):
        nested = AnyValue()
        if kind == "arrayValue":
            nested.array_value.values.append(value)
        else:
            nested.kvlist_value.values.append(KeyValue(key="k", value=value))
        value = nested
    body = ExportTraceServiceRequest()
    proto_span = (
        body.resource_spans.add()
        .scope_spans.add()
        .spans.add(trace_id=bytes.fromhex(tid(1)), span_id=bytes.fromhex(sid(1)), name="deep")
    )
    proto_span.attributes.append(KeyValue(key="deep", value=value))
    return body.SerializeToString()


@pytest.mark.parametrize("encoding", ["json", "protobuf"])
@pytest.mark.parametrize("kind", ["arrayValue", "kvlistValue"])
def test_the_receiver_refuses_values_nested_deeper_than_32_levels(receiver, encoding, kind):
    def post(levels: int) -> requests.Response:
        if encoding == "json":
            body = with_deep_value(request(deep_span(1, 1)), levels, kind).encode()
            return requests.post(
                receiver.traces_url, data=body, headers={"Content-Type": "application/json"}, timeout=10
            )
        headers = {"Content-Type": "application/x-protobuf"}
        return requests.post(
            receiver.traces_url, data=_protobuf_body(levels, kind), headers=headers, timeout=10
        )

    assert post(MAX_NESTING_DEPTH).status_code == 200
    landed = list_landing_files(receiver.landing)
    refused = post(MAX_NESTING_DEPTH + 1)
    assert refused.status_code == 400
    if encoding == "json":
        status = refused.json()
    else:
        message = Status.FromString(refused.content)
        status = {"code": message.code, "message": message.message}
    assert status["code"] == INVALID_ARGUMENT
    if (encoding, kind) == ("protobuf", "kvlistValue"):
        # 6 message levels to the first AnyValue, then 3 per kvlist level (AnyValue, KeyValueList,
        # KeyValue): 33 levels are 102, beyond the protobuf parser's own limit of 100.
        assert "not a protobuf ExportTraceServiceRequest" in status["message"]
    else:
        assert status["message"] == (
            f"resourceSpans[0].scopeSpans[0].spans[0].attributes[{1 if encoding == 'json' else 0}] is nested more than "
            f"{MAX_NESTING_DEPTH} levels deep (an arrayValue or kvlistValue is a level)"
        )
    assert list_landing_files(receiver.landing) == landed  # nothing written for the refused one


def test_the_receiver_refuses_the_300_level_probe(receiver):
    body = with_deep_value(request(span(1, 1, 0, 1), deep_span(2, 2)), 300).encode()
    answer = requests.post(
        receiver.traces_url, data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == INVALID_ARGUMENT
    assert list_landing_files(receiver.landing) == []


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("attributes", "attributes[0] must be an object, not null"),
        ("kvlist", "attributes[0] (kv): kvlistValue.values[] must be an object, not null"),
        ("events", "events[0] must be an object, not null"),
        ("links", "links[0] must be an object, not null"),
    ],
)
def test_a_null_element_of_a_repeated_field_is_a_wrong_value_type(tmp_path, where, reason):
    """Found by the property test: `null` in a list of messages used to raise AttributeError."""
    bad = span(2, 2, 0, 1)
    if where == "attributes":
        bad["attributes"] = [None]
    elif where == "kvlist":
        bad["attributes"] = [{"key": "kv", "value": {"kvlistValue": {"values": [None]}}}]
    else:
        bad[where] = [None]
    decoded = decode_file(write_lines(tmp_path / "null.jsonl", [request(span(1, 1, 0, 1), bad)]))
    assert decoded.tables.spans.num_rows == 1
    assert [r.reason for r in decoded.quarantine] == [f"wrong_value_type: {reason}"]
