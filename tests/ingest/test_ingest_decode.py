"""The decoder's own mechanisms: strict value conversion, worker processes, the write's compression."""

from __future__ import annotations

import tempfile
from datetime import timedelta

import duckdb
import pytest
from ingest_builders import DAY, JOURNEY, raw_rows, request, span, write_lines

from orchestration.ingest import decode_pool, ingest_partition
from orchestration.ingest.convention_values import convention_texts
from orchestration.ingest.decode import decode_file
from orchestration.ingest.otlp_values import WrongValueType, encode_attributes
from orchestration.simulate import simulate

GOOD_JOURNEY = {**JOURNEY, "session.id": "good"}


def kv(key, value):
    return {"key": key, "value": value}


def test_attributes_become_one_json_object_and_variants_are_tolerated():
    plain, encoded, repeated, bad_int = encode_attributes(
        [
            kv("s", {"stringValue": "a"}),
            kv("i", {"intValue": "-7"}),
            kv("n", {"intValue": 8}),  # int64 as a JSON number
            kv("d", {"doubleValue": 1}),
            kv("nan", {"doubleValue": "NaN"}),
            kv(
                "deep",
                {"arrayValue": {"values": [{"kvlistValue": {"values": [kv("x", {"boolValue": True})]}}]}},
            ),
            kv("empty", {}),
        ]
    )
    assert plain == {"s": "a", "i": -7, "n": 8, "d": 1.0, "nan": "NaN", "deep": [{"x": True}], "empty": None}
    assert encoded == b'{"s":"a","i":-7,"n":8,"d":1.0,"nan":"NaN","deep":[{"x":true}],"empty":null}'
    assert (repeated, bad_int) == (False, False)


@pytest.mark.parametrize(
    ("attributes", "flags"),
    [
        ([kv("a", {"stringValue": "x"}), kv("a", {"stringValue": "y"})], (True, False)),
        ([kv("", {"stringValue": "x"})], (True, False)),
        ([{"value": {"stringValue": "x"}}], (True, False)),
        ([kv("n", {"intValue": "12x"})], (False, True)),
        ([kv("n", {"arrayValue": {"values": [{"intValue": "99999999999999999999"}]}})], (False, True)),
    ],
)
def test_empty_repeated_keys_and_bad_ints_are_flags_for_the_span(attributes, flags):
    assert encode_attributes(attributes)[2:] == flags


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ([kv("x", {"stringValue": 5})], "attributes[0] (x): stringValue must be a string, not number"),
        ([kv("x", {"fooValue": 5})], "attributes[0] (x): unknown AnyValue field 'fooValue'"),
        ([kv("x", {"stringValue": "a"}) | {"extra": 1}], "attributes[0] has unknown fields ['extra']"),
        ([kv(5, {"stringValue": "a"})], "attributes[0].key must be a string, not number"),
        ("not a list", "attributes must be an array, not string"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(attributes, message):
    with pytest.raises(WrongValueType) as raised:
        encode_attributes(attributes)
    assert str(raised.value) == message


def test_convention_texts_keep_text_and_name_the_wrong_types():
    texts, wrong = convention_texts({"session.id": "s1", "customer.id": 42, "service.name": "svc"})
    assert (texts, wrong) == (b'{"customer.id":"42","session.id":"s1"}', None)
    texts, wrong = convention_texts(
        {"journey.stage": True, "csat.score": "great", "gen_ai.input.messages": "{}", "channel": ["chat"]}
    )
    assert wrong == (
        "channel must be a string, not array; csat.score must be a number, not string; "
        "gen_ai.input.messages is not a JSON array of messages; journey.stage must be a string, not bool"
    )
    assert (
        texts == b'{"channel":null,"csat.score":"great","gen_ai.input.messages":"{}","journey.stage":"true"}'
    )
    assert convention_texts({"service.name": "svc"}) == (None, None)


def test_a_span_that_breaks_the_mapping_is_set_aside_alone(landing):
    bad = span(1, 2, 1, 2, {"session.id": "x"}, parent=1)
    bad["startTimeUnixNano"] = {"when": "soon"}
    path = write_lines(landing / "one.jsonl", [request(span(1, 1, 0, 5, GOOD_JOURNEY), bad)])
    decoded = decode_file(path)
    assert decoded.tables.spans.num_rows == 1
    (record,) = decoded.quarantine
    assert (record.line_number, record.reason, record.span_id) == (
        1,
        "wrong_value_type: startTimeUnixNano must be a string or an integer, not object",
        f"{2:016x}",
    )


def test_worker_processes_decode_to_the_same_rows_as_in_process(tmp_path, monkeypatch):
    result = simulate(tmp_path / "landing", journeys=60, start=DAY, days=2, seed=11)
    write_lines(tmp_path / "landing" / "bad.jsonl", ["not json", request(span(9, 1, 0, 5, GOOD_JOURNEY))])
    days = [DAY + timedelta(days=k) for k in range(3)]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the workers' IPC files go
    snapshots = []
    for name, threshold in (("in-process", 1 << 60), ("workers", 0)):
        monkeypatch.setattr(decode_pool, "PARALLEL_MIN_BYTES", threshold)
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            reports = [ingest_partition(con, result.out_dir, day) for day in days]
            snapshots.append(raw_rows(con))
        assert sum(r.spans for r in reports) == result.span_count + 1
    assert snapshots[0] == snapshots[1]
    assert not list(tmp_path.glob("journeys-decode-*")), "the workers' files are removed"


def test_the_write_puts_the_compression_setting_back(landing, warehouse):
    write_lines(landing / "one.jsonl", [request(span(1, 1, 0, 5, GOOD_JOURNEY))])
    warehouse.execute("set force_compression = 'uncompressed'")
    ingest_partition(warehouse, landing, DAY)
    assert warehouse.execute("select current_setting('force_compression')").fetchall() == [("uncompressed",)]
    warehouse.execute("reset force_compression")
    ingest_partition(warehouse, landing, DAY)
    assert warehouse.execute("select current_setting('force_compression')").fetchall() == [("auto",)]
