"""Bad input is quarantined with a reason and counted; good input beside it is still ingested."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import orjson
from ingest_builders import DAY, JOURNEY, T0, request, rows, span, tid, write_lines

GOOD = {**JOURNEY, "session.id": "good"}


def test_malformed_lines_are_quarantined_and_counted_while_good_lines_load(landing, warehouse, ingest):
    bad_span_request = request(
        span(2, 1, 0, 5, {**JOURNEY, "session.id": "bad-types"}),
        span(2, 2, 1, 2, {"session.id": "bad-types"}, parent=1),
    )
    # One span of this request has a timestamp of the wrong JSON type; its sibling must survive.
    bad_span_request["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["startTimeUnixNano"] = {"when": "soon"}
    path = write_lines(
        landing / "mixed.jsonl",
        [
            request(span(1, 1, 0, 10, GOOD)),
            '{"resourceSpans": [',  # truncated line
            "[1, 2, 3]",  # JSON, but not a request
            b'{"resourceSpans": []}\xff\xfe',  # not UTF-8
            bad_span_request,
            request(span(3, 1, 0, 5, {**GOOD, "session.id": "no-trace-id"}) | {"traceId": "xyz"}),
            request(span(4, 1, 0, 5, {**GOOD, "session.id": "reversed"}) | {"endTimeUnixNano": "1"}),
            request(span(5, 1, 0, 5, {**GOOD, "session.id": "ancient"}) | {"startTimeUnixNano": "5", "endTimeUnixNano": "6"}),
            request(span(6, 1, 0, 5, {**JOURNEY, "session.id": "bad-stage", "journey.stage": True})),
            request(span(7, 1, 0, 5, {**JOURNEY, "session.id": "bad-outcome", "journey.stage.outcome": "won"})),
            request(span(8, 1, 0, 5, {"journey.id": "jrn-1", "csat.score": 7})),
            request(span(9, 1, 0, 5, {**GOOD, "session.id": "bad-json", "gen_ai.input.messages": "[{not json"})),
        ],
    )
    report = ingest(DAY)

    assert report.conversations == 2  # "good" and the surviving span of "bad-types"
    assert {r["conversation_id"]: r["span_count"] for r in rows(warehouse, "select * from raw.conversations")} == {
        "good": 1,
        "bad-types": 1,
    }
    quarantined = rows(
        warehouse, "select line_number, reason, raw_text, trace_id, span_id from raw.ingest_quarantine order by line_number"
    )
    assert [(q["line_number"], q["reason"].split(":")[0]) for q in quarantined] == [
        (2, "invalid_json"),
        (3, "not_otlp"),
        (4, "invalid_utf8"),
        (5, "wrong_value_type"),
        (6, "missing_id"),
        (7, "invalid_timestamp"),
        (8, "invalid_timestamp"),
        (9, "wrong_value_type"),
        (10, "invalid_value"),
        (11, "invalid_value"),
        (12, "wrong_value_type"),
    ]
    reasons = {q["line_number"]: q["reason"] for q in quarantined}
    assert "startTimeUnixNano" in reasons[5]
    assert "before startTimeUnixNano" in reasons[7]
    assert "between 2000 and 2100" in reasons[8]
    assert "journey.stage must be a string, not bool" in reasons[9]
    assert '"won" is not one of completed' in reasons[10]
    assert "csat.score 7 is not an integer from 1 to 5" in reasons[11]
    assert "gen_ai.input.messages is not a JSON array" in reasons[12]
    by_line = {q["line_number"]: q for q in quarantined}
    assert (by_line[5]["trace_id"], by_line[5]["span_id"]) == (tid(2), f"{2:016x}")
    assert all(q["raw_text"] for q in quarantined)
    assert report.quarantined == 11
    assert report.quarantined_by_reason == {
        "invalid_json": 1,
        "not_otlp": 1,
        "invalid_utf8": 1,
        "wrong_value_type": 3,
        "missing_id": 1,
        "invalid_timestamp": 2,
        "invalid_value": 2,
    }
    assert report.to_metadata()["quarantined_by_reason"]["invalid_timestamp"] == 2
    assert "11 quarantined" in report.summary()
    assert rows(warehouse, "select distinct source_file from raw.ingest_quarantine") == [{"source_file": str(path)}]


def test_envelope_parts_of_the_wrong_type_are_quarantined_naming_the_field(landing, warehouse, ingest):
    """The shapes the receiver refuses with 400, met in a landing file: each bad part is a quarantine
    row naming the field, and a valid span beside it in the same line is still ingested."""
    valid = span(1, 1, 0, 10, GOOD)
    scope = {"scope": {"name": "tests"}}
    write_lines(
        landing / "shapes.jsonl",
        [
            {"resourceSpans": [{"scopeSpans": {"spans": [span(2, 1, 0, 5, GOOD)]}}]},
            {"resourceSpans": ["x"]},
            {"resourceSpans": {"scopeSpans": []}},
            {"resourceSpans": [{"scopeSpans": [{**scope, "spans": [valid, "x"]}, 7, {"spans": {"a": 1}}]}]},
            {"resourceSpans": [{"scopeSpans": None}, {"scopeSpans": [{"spans": None}]}]},  # null: empty
        ],
    )
    report = ingest(DAY)
    assert (report.spans, report.conversations) == (1, 1)
    quarantined = rows(warehouse, "select line_number, reason, raw_text from raw.ingest_quarantine order by all")
    assert [(q["line_number"], q["reason"]) for q in quarantined] == [
        (1, "not_otlp: resourceSpans[0].scopeSpans must be an array, not object"),
        (2, "not_otlp: resourceSpans[0] must be an object, not string"),
        (3, "not_otlp: resourceSpans must be an array, not object"),
        (4, "not_otlp: resourceSpans[0].scopeSpans[0].spans[1] must be an object, not string"),
        (4, "not_otlp: resourceSpans[0].scopeSpans[1] must be an object, not number"),
        (4, "not_otlp: resourceSpans[0].scopeSpans[2].spans must be an array, not object"),
    ]
    assert all(q["raw_text"] for q in quarantined)
    assert report.quarantined_by_reason == {"not_otlp": 6}


def test_a_file_without_valid_spans_is_reported_on_its_mtime_day_with_raw_text_cut_to_a_bound(
    landing, warehouse, ingest
):
    path = write_lines(landing / "huge.jsonl", ['{"resourceSpans": "' + "x" * 50_000])
    os.utime(path, (T0.timestamp(), T0.timestamp()))
    assert ingest(DAY - timedelta(days=1)).quarantined == 0
    assert ingest(DAY).quarantined == 1
    (row,) = rows(warehouse, "select length(raw_text) as n, partition_date from raw.ingest_quarantine")
    assert row == {"n": 2_000, "partition_date": DAY}


def test_an_unreadable_gzip_file_is_quarantined_not_fatal(landing, warehouse, ingest):
    (landing / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    write_lines(landing / "fine.jsonl.gz", [request(span(1, 1, 0, 10, GOOD))])
    report = ingest(DAY)
    assert report.conversations == 1
    assert report.quarantined == 0  # the broken file is filed under its mtime's day (today)
    today = rows(warehouse, "select home_day from raw.landing_files where path like '%broken%'")[0]["home_day"]
    assert ingest(today).quarantined_by_reason == {"unreadable_file": 1}


def test_a_broken_symlink_is_quarantined_with_its_reason_and_read_once_it_resolves(landing, warehouse, ingest, tmp_path):
    write_lines(landing / "fine.jsonl", [request(span(1, 1, 0, 10, GOOD))])
    target = tmp_path / "elsewhere" / "traces.jsonl"  # not there yet
    link = landing / "linked.jsonl"
    link.symlink_to(target)
    os.utime(link, (T0.timestamp(), T0.timestamp()), follow_symlinks=False)  # filed under its own mtime: DAY
    report = ingest(DAY)
    assert (report.conversations, report.quarantined_by_reason) == (1, {"unreadable_file": 1})
    (row,) = rows(warehouse, "select source_file, line_number, reason from raw.ingest_quarantine")
    assert row["source_file"] == str(link) and row["line_number"] is None
    assert row["reason"].startswith(f"unreadable_file: broken symbolic link to {target}")
    assert ingest(DAY).quarantined == 1  # idempotent, and not read twice

    # The link's target appears: the file is read under its target's path, the quarantine row goes.
    write_lines(target, [request(span(2, 1, 0, 10, {**GOOD, "session.id": "via-link"}))])
    report = ingest(DAY)
    assert (report.conversations, report.quarantined, report.files_forgotten) == (2, 0, 1)
    assert rows(warehouse, "select count(*) as n from raw.ingest_quarantine") == [{"n": 0}]


def test_ingestion_never_changes_a_landing_file(landing, ingest):
    paths = [
        write_lines(landing / "a.jsonl", [request(span(1, 1, 0, 10, GOOD)), "not json"]),
        write_lines(landing / "b.jsonl.gz", [request(span(2, 1, 0, 10, GOOD))]),
    ]
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths}
    ingest(DAY)
    ingest(DAY)
    assert {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths} == before
    assert sorted(p.name for p in landing.iterdir()) == ["a.jsonl", "b.jsonl.gz"]


def test_blank_lines_do_not_shift_line_numbers(landing, warehouse, ingest):
    good = orjson.dumps(request(span(1, 1, 0, 10, GOOD))).decode()
    (landing / "gaps.jsonl").write_text(f"\n{good}\n\n   \nnot json\n")
    ingest(DAY)
    assert rows(warehouse, "select line_number from raw.ingest_quarantine") == [{"line_number": 5}]


def test_a_pretty_printed_request_is_read_as_one_request(landing, warehouse, ingest):
    (landing / "export.json").write_bytes(orjson.dumps(request(span(1, 1, 0, 10, GOOD)), option=orjson.OPT_INDENT_2))
    report = ingest(DAY)
    assert (report.conversations, report.quarantined) == (1, 0)
    assert rows(warehouse, "select source_line from raw.spans") == [{"source_line": 1}]
