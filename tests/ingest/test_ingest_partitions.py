"""Partition semantics: replace a day idempotently, store a span once, take late spans in, read
only the files a day needs; and a whole simulated window checked against its ground truth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from ingest_builders import DAY, JOURNEY, T0, request, rows, span, write_lines

from orchestration.ingest import landing_file_days
from orchestration.journey_map import load_journey_map
from orchestration.settings import REPO_ROOT
from orchestration.simulate import simulate

NEXT_DAY = DAY + timedelta(days=1)
MIDNIGHT = datetime(2026, 10, 6, 0, 0, tzinfo=T0.tzinfo)


def conversation(n: int, start: float, *, base: datetime = T0, spans: int = 2) -> dict:
    """A request holding conversation `c{n}` (trace n): a root and `spans - 1` children."""
    attrs = {**JOURNEY, "session.id": f"c{n}"}
    children = [span(n, k, start + k, start + k + 1, {"session.id": f"c{n}"}, parent=1, base=base) for k in range(2, spans + 1)]
    return request(span(n, 1, start, start + 60, attrs, base=base), *children)


def snapshot(con) -> dict:
    return {
        table: rows(con, f"select * exclude ({stamp}) from raw.{table} order by all")
        for table, stamp in [("spans", "ingested_at"), ("conversations", "ingested_at, turns"),
                             ("journey_events", "ingested_at"), ("ingest_quarantine", "quarantined_at")]
    }


def test_reingesting_a_day_is_idempotent_and_replaces_only_that_day(landing, warehouse, ingest):
    write_lines(landing / "day.jsonl", [conversation(1, 0), conversation(2, 100), "not json"])
    write_lines(landing / "next.jsonl", [conversation(3, 0, base=MIDNIGHT + timedelta(hours=3))])
    first = ingest(DAY)
    ingest(NEXT_DAY)
    before = snapshot(warehouse)
    again = ingest(DAY)
    assert snapshot(warehouse) == before
    assert (again.spans, again.conversations, again.quarantined) == (first.spans, first.conversations, 1) == (4, 2, 1)
    assert again.files_indexed == 0
    counts = rows(warehouse, "select partition_date, count(*) as n from raw.conversations group by all order by 1")
    assert counts == [{"partition_date": DAY, "n": 2}, {"partition_date": NEXT_DAY, "n": 1}]
    # The connection is left as it was found: no scratch tables kept alive.
    assert rows(warehouse, "select table_name from duckdb_tables() where temporary") == []


def test_a_span_delivered_twice_is_stored_once(landing, warehouse, ingest):
    write_lines(landing / "batch-1.jsonl", [conversation(1, 0, spans=3)])
    # A collector retry: the same spans again, in another file, plus one new span.
    retry = conversation(1, 0, spans=3)
    retry["resourceSpans"][0]["scopeSpans"][0]["spans"].append(
        span(1, 9, 50, 51, {"session.id": "c1"}, parent=1)
    )
    write_lines(landing / "batch-2.jsonl.gz", [retry, conversation(1, 0, spans=2)])
    report = ingest(DAY)
    assert report.spans == 4
    assert report.duplicate_spans == 5
    assert rows(warehouse, "select count(*) as n, count(distinct (trace_id, span_id)) as d from raw.spans") == [
        {"n": 4, "d": 4}
    ]
    assert rows(warehouse, "select span_count from raw.conversations") == [{"span_count": 4}]


def test_gzip_and_json_extensions_are_read(landing, ingest):
    write_lines(landing / "a.json", [conversation(1, 0)])
    write_lines(landing / "b.jsonl.gz", [conversation(2, 0)])
    write_lines(landing / "nested" / "c.json.gz", [conversation(3, 0)])
    (landing / "ignored.txt").write_text("not a trace file")
    write_lines(landing / ".in-progress.jsonl", [conversation(4, 0)])
    report = ingest(DAY)
    assert (report.files_listed, report.conversations) == (3, 3)


def test_late_spans_for_an_earlier_day_are_taken_in_when_that_day_is_reingested(landing, warehouse, ingest):
    write_lines(landing / "first.jsonl", [conversation(1, 0, spans=2)])
    assert ingest(DAY).spans == 2
    # Hours later a file arrives holding a late span of c1 and a conversation of the next day.
    late = request(span(1, 7, 3000, 3001, {"session.id": "c1"}, parent=1))
    write_lines(landing / "late.jsonl", [late, conversation(5, 0, base=MIDNIGHT + timedelta(hours=1))])
    report = ingest(NEXT_DAY)
    assert report.conversations == 1 and report.related_days == [DAY]
    assert ingest(DAY).spans == 3
    assert rows(warehouse, "select span_count, ended_at from raw.conversations where conversation_id = 'c1'") == [
        {"span_count": 3, "ended_at": (T0 + timedelta(seconds=3001)).replace(tzinfo=None)}
    ]


def test_a_conversation_crossing_midnight_belongs_to_its_start_day(landing, warehouse, ingest):
    before_midnight = MIDNIGHT - timedelta(minutes=5)
    write_lines(landing / "evening.jsonl", [request(span(1, 1, 0, 900, {**JOURNEY, "session.id": "late-chat"}, base=before_midnight))])
    write_lines(
        landing / "morning.jsonl",
        [request(span(1, 2, 600, 700, {"session.id": "late-chat"}, parent=1, base=before_midnight)),
         conversation(2, 0, base=MIDNIGHT + timedelta(hours=2))],
    )
    assert ingest(NEXT_DAY).conversations == 1
    report = ingest(DAY)
    assert report.conversations == 1 and report.files_read == 2
    assert rows(warehouse, "select conversation_id, span_count, partition_date from raw.conversations order by 1") == [
        {"conversation_id": "c2", "span_count": 2, "partition_date": NEXT_DAY},
        {"conversation_id": "late-chat", "span_count": 2, "partition_date": DAY},
    ]


def test_a_conversation_whose_start_moves_to_another_day_leaves_no_copy_behind(landing, warehouse, ingest):
    """s-x starts 00:10 on the next day and that day is ingested; a late file brings an earlier trace of
    s-x (23:50 the day before), so the whole conversation now belongs to DAY. Ingesting DAY moves it:
    its spans, conversation row, CSAT answer and quarantined span leave NEXT_DAY in the same
    transaction, and NEXT_DAY is named in related_days so its downstream is rebuilt."""
    after_midnight = MIDNIGHT + timedelta(minutes=10)
    attrs = {**JOURNEY, "session.id": "s-x"}
    second = request(
        span(2, 1, 0, 5, {**attrs, "input.value": "second", "output.value": "ok"}, base=after_midnight),
        span(2, 2, 6, 7, {"session.id": "s-x", "journey.id": "jrn-1", "csat.score": 4}, parent=1, base=after_midnight),
        span(2, 3, 1, 2, {"session.id": "s-x", "journey.stage": True}, parent=1, base=after_midnight),
    )
    write_lines(landing / "day2.jsonl", [second, conversation(3, 0, base=MIDNIGHT + timedelta(hours=2))])
    first = ingest(NEXT_DAY)
    assert (first.conversations, first.journey_events, first.quarantined) == (2, 1, 1)

    before_midnight = MIDNIGHT - timedelta(minutes=10)
    write_lines(landing / "late.jsonl", [request(span(1, 1, 0, 5, {**attrs, "input.value": "first"}, base=before_midnight))])
    moved = ingest(DAY)
    assert moved.related_days == [NEXT_DAY]
    assert (moved.spans, moved.conversations, moved.journey_events, moved.quarantined) == (3, 1, 1, 1)

    def placement() -> dict:
        return {
            "conversations": rows(warehouse, "select partition_date, conversation_id, span_count from raw.conversations order by all"),
            "spans": rows(warehouse, "select partition_date, count(*) as n, count(distinct (trace_id, span_id)) as d"
                                     " from raw.spans group by all order by all"),
            "events": rows(warehouse, "select partition_date, event_id from raw.journey_events"),
            "quarantine": rows(warehouse, "select partition_date, trace_id from raw.ingest_quarantine"),
        }

    expected = {
        "conversations": [
            {"partition_date": DAY, "conversation_id": "s-x", "span_count": 2},
            {"partition_date": NEXT_DAY, "conversation_id": "c3", "span_count": 2},
        ],
        "spans": [{"partition_date": DAY, "n": 3, "d": 3}, {"partition_date": NEXT_DAY, "n": 2, "d": 2}],
        "events": [{"partition_date": DAY, "event_id": f"{2:032x}:{2:016x}"}],
        "quarantine": [{"partition_date": DAY, "trace_id": f"{2:032x}"}],
    }
    assert placement() == expected
    before = snapshot(warehouse)
    # What the related_days sensor then does: re-run NEXT_DAY. Nothing changes, nothing else is named.
    rerun = ingest(NEXT_DAY)
    assert (rerun.related_days, rerun.conversations) == ([], 1)
    assert snapshot(warehouse) == before
    assert ingest(DAY).related_days == []
    assert snapshot(warehouse) == before

    # The other way: the late file goes, so s-x starts on NEXT_DAY again.
    (landing / "late.jsonl").unlink()
    back = ingest(NEXT_DAY)
    assert back.related_days == [DAY]
    assert placement()["conversations"] == [
        {"partition_date": NEXT_DAY, "conversation_id": "c3", "span_count": 2},
        {"partition_date": NEXT_DAY, "conversation_id": "s-x", "span_count": 1},
    ]
    assert {r["partition_date"] for r in rows(warehouse, "select partition_date from raw.journey_events")} == {NEXT_DAY}
    assert {r["partition_date"] for r in rows(warehouse, "select partition_date from raw.ingest_quarantine")} == {NEXT_DAY}
    # The span of the deleted file belongs to no day now; re-ingesting DAY, as named, drops it.
    assert rows(warehouse, "select trace_id from raw.spans where partition_date = ?", DAY) == [{"trace_id": f"{1:032x}"}]
    assert ingest(DAY).related_days == []
    assert rows(warehouse, "select count(*) as n from raw.spans where partition_date = ?", DAY) == [{"n": 0}]


def test_a_partition_reads_only_the_files_that_hold_its_conversations(landing, ingest):
    for k in range(5):
        base = T0 + timedelta(days=k)
        write_lines(landing / f"day-{k}.jsonl", [conversation(10 + k, 0, base=base)])
    first = ingest(DAY)
    assert (first.files_indexed, first.files_read) == (5, 1)
    second = ingest(DAY + timedelta(days=3))
    assert (second.files_indexed, second.files_read, second.bytes_read) == (0, 1, (landing / "day-3.jsonl").stat().st_size)


def test_changed_and_deleted_files_update_the_index(landing, warehouse, ingest):
    path = write_lines(landing / "grows.jsonl", [conversation(1, 0)])
    write_lines(landing / "gone.jsonl", [conversation(2, 0)])
    assert ingest(DAY).conversations == 2
    write_lines(path, [conversation(1, 0), conversation(3, 100)])
    (landing / "gone.jsonl").unlink()
    report = ingest(DAY)
    assert (report.files_indexed, report.files_forgotten) == (1, 1)
    assert {r["conversation_id"] for r in rows(warehouse, "select conversation_id from raw.conversations")} == {"c1", "c3"}
    assert rows(warehouse, "select count(*) as n from raw.landing_files") == [{"n": 1}]


def test_landing_file_days_names_the_start_days_of_its_conversations(landing):
    path = write_lines(
        landing / "two-days.jsonl",
        [conversation(1, 0), conversation(2, 0, base=MIDNIGHT + timedelta(hours=5))],
    )
    assert landing_file_days(path) == {DAY, NEXT_DAY}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("simulated")
    journey_map = load_journey_map(REPO_ROOT / "journey_map.yaml")
    return simulate(root / "landing", journeys=80, start=DAY, days=3, seed=5, journey_map=journey_map,
                    truth_path=root / "truth.json")


def test_simulated_traffic_of_every_convention_matches_the_ground_truth(simulated, warehouse):
    from orchestration.ingest import ingest_partition

    for k in range(3):
        report = ingest_partition(warehouse, simulated.out_dir, DAY + timedelta(days=k))
        assert report.quarantined == 0
    truth = json.loads(simulated.truth_path.read_text())
    expected = {
        c["conversation_id"]: (c["journey_id"], c["customer_id"], c["journey_name"], c["stage"], c["channel"],
                               c["agent_type"], c["segment"], c["consent"], c["outcome"], c["turn_count"],
                               c["span_count"], sorted(c["trace_ids"]))
        for c in truth["conversations"]
    }
    found = {
        r["conversation_id"]: (r["journey_id"], r["customer_id"], r["journey_name"], r["stage"], r["channel"],
                               r["agent_type"], r["segment"], r["consent"], r["outcome"], r["turn_count"],
                               r["span_count"], r["trace_ids"])
        for r in rows(warehouse, "select * from raw.conversations")
    }
    assert found == expected
    assert {c["convention"] for c in truth["conversations"]} == {"traceai", "openinference", "genai", "livekit", "human"}
    events = rows(warehouse, "select event_id, csat_score from raw.journey_events order by 1")
    assert events == sorted(({"event_id": c["event_id"], "csat_score": c["score"]} for c in truth["csat"]),
                            key=lambda e: e["event_id"])
    assert rows(warehouse, "select count(*) as n from raw.spans") == [{"n": truth["span_count"]}]
