"""The decode cache: a backfill decodes each landing file once, and a changed file is decoded anew."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import duckdb
from ingest_builders import DAY, JOURNEY, T0, raw_rows, request, rows, span, write_lines

from orchestration.ingest import ingest_partition

DAYS = [DAY + timedelta(days=k) for k in range(3)]


def conversation(n: int, base: datetime, stage: str = "payment") -> dict:
    attrs = {**JOURNEY, "session.id": f"c{n}", "journey.stage": stage}
    return request(
        span(n, 1, 0, 60, attrs, base=base), span(n, 2, 1, 2, {"session.id": f"c{n}"}, parent=1, base=base)
    )


def landing_with_a_file_per_day(landing):
    for k, day_start in enumerate(T0 + timedelta(days=k) for k in range(3)):
        write_lines(landing / f"day-{k}.jsonl", [conversation(10 + k, day_start)])
    # One file feeding two days: a conversation on each.
    write_lines(landing / "both.jsonl", [conversation(20, T0), conversation(21, T0 + timedelta(days=1))])


def test_a_backfill_decodes_each_file_once_and_gets_the_same_rows(landing, warehouse, tmp_path, decoded):
    landing_with_a_file_per_day(landing)
    reports = [ingest_partition(warehouse, landing, day) for day in DAYS]
    assert sorted(decoded) == ["both.jsonl", "day-0.jsonl", "day-1.jsonl", "day-2.jsonl"]
    assert [(r.files_indexed, r.files_read, r.files_from_cache) for r in reports] == [
        (4, 2, 0),
        (0, 2, 2),
        (0, 1, 1),
    ]
    assert "2 decoded earlier" in reports[1].summary()
    # Each entry went once every day it feeds had read it.
    assert not (tmp_path / "warehouse.duckdb.decoded").exists()
    with duckdb.connect() as in_memory:  # keeps no cache
        for day in DAYS:
            ingest_partition(in_memory, landing, day)
        assert raw_rows(warehouse) == raw_rows(in_memory)


def test_a_file_changed_since_it_was_cached_is_decoded_again(landing, warehouse, decoded):
    landing_with_a_file_per_day(landing)
    ingest_partition(warehouse, landing, DAYS[0])
    path = write_lines(
        landing / "day-1.jsonl", [conversation(11, T0 + timedelta(days=1), stage="investigation")]
    )
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    decoded.clear()
    report = ingest_partition(warehouse, landing, DAYS[1])
    assert (report.files_indexed, report.files_from_cache) == (1, 1)  # both.jsonl still cached
    assert decoded == ["day-1.jsonl"]
    assert rows(warehouse, "select stage from raw.conversations where conversation_id = 'c11'") == [
        {"stage": "investigation"}
    ]


def test_entries_of_files_gone_from_the_landing_directory_are_removed(landing, warehouse, tmp_path):
    landing_with_a_file_per_day(landing)
    ingest_partition(warehouse, landing, DAYS[0])
    cache = tmp_path / "warehouse.duckdb.decoded"
    assert len(list(cache.glob("*.json"))) == 3  # day-1, day-2 and both.jsonl wait for their days
    (landing / "day-2.jsonl").unlink()
    ingest_partition(warehouse, landing, DAYS[1])
    assert not cache.exists()  # day-1 and both.jsonl served, day-2 gone
