"""The filter model: URL parsing, and the SQL each mart's columns can take."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from app.filters import Filters, clause, describe, filters_from_query_params, restrict
from app.formatting import escape_markdown
from app.transcript import Evidence, parse_evidence


def url(params: dict[str, list[str]]):
    return lambda key: params.get(key, [])


def test_url_round_trip_keeps_repeated_values_and_dates():
    filters = Filters(journeys=("a", "b"), segments=("smb",), start=date(2026, 11, 2), end=date(2026, 11, 8))
    parsed, problems = filters_from_query_params(url(filters.to_query_params()))
    assert parsed == filters and problems == []


def test_reversed_date_range_is_dropped_with_a_reason():
    parsed, problems = filters_from_query_params(url({"from": ["2026-11-09"], "to": ["2026-11-01"]}))
    assert parsed.start is None and parsed.end is None
    assert problems == ["ignored the date range 2026-11-09 to 2026-11-01: it ends before it starts"]


def test_restrict_drops_values_the_snapshot_does_not_know():
    kept, problems = restrict(Filters(cohorts=("2026-W45", "1999-W01")), {"cohorts": ("2026-W45",)})
    assert kept.cohorts == ("2026-W45",) and problems == ["ignored unknown cohort week '1999-W01'"]


@pytest.fixture
def rows() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values "
        "('x', 'chat > voice', timestamp '2026-11-08 23:59:00'), "
        "('x', 'email', timestamp '2026-11-09 00:00:00'), "
        "('y', 'voice', timestamp '2026-11-01 08:00:00')) v(journey_name, channel_sequence, started_at)"
    )
    return con


def select(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[tuple]:
    where = clause(filters, ["journey_name", "channel_sequence", "started_at"])
    return con.execute(
        f"select journey_name, channel_sequence from t {where.sql} order by all", where.params
    ).fetchall()


def test_channel_filter_matches_a_whole_channel_inside_a_sequence(rows):
    assert select(rows, Filters(channels=("voice",))) == [("x", "chat > voice"), ("y", "voice")]
    assert select(rows, Filters(channels=("ice",))) == []


def test_end_date_includes_the_whole_last_day(rows):
    assert select(rows, Filters(start=date(2026, 11, 2), end=date(2026, 11, 8))) == [("x", "chat > voice")]


def test_filter_values_are_bound_parameters_not_sql(rows):
    assert select(rows, Filters(journeys=("x') or ('1'='1",))) == []


def test_filters_a_mart_cannot_take_are_reported():
    where = clause(
        Filters(journeys=("x",), segments=("smb",), start=date(2026, 11, 1)), ["journey_name", "stage"]
    )
    assert where.applied == ("journeys",) and where.not_applied == ("segments", "dates")
    assert describe(where) == (
        "Filtered by journey. Not filtered by segment, date range: this data has no such column."
    )


def test_only_keeps_the_named_filters():
    filters = Filters(journeys=("x",), cohorts=("c",), channels=("chat",), start=date(2026, 1, 1))
    assert filters.only("journeys", "dates") == Filters(journeys=("x",), start=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        ('[{"turn_index": 3, "snippet": "again"}]', [Evidence(3, "again")], None),
        ("[]", [], None),
        (None, [], None),
        ("not json", [], "evidence is not valid JSON"),
        ('{"turn_index": 1}', [], "evidence is not a list"),
        (
            '[{"snippet": "no index"}, {"turn_index": 0}]',
            [Evidence(0, "")],
            "1 evidence item(s) without a turn index",
        ),
        (
            '[{"turn": 2, "quote": "my order", "note": "re-asked", "source": "context"}]',
            [Evidence(2, "my order", "re-asked", "context")],
            None,
        ),
    ],
)
def test_evidence_parsing_never_raises(raw, expected, problem):
    assert parse_evidence(raw) == (expected, problem)


def test_transcript_text_cannot_inject_markdown():
    assert escape_markdown("[click](http://x) :red[boo] *b*") == (
        r"\[click\]\(http\:\/\/x\) \:red\[boo\] \*b\*"
    )
