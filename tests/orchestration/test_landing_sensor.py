"""The landing sensor under hostile content and many files (issue 10): a file's content never
fails it, and its cursor stays under 64 KiB however many files land, without losing a late one."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from otlp_lines import conversation_line

from orchestration.defs.resources import platform_resources
from orchestration.defs.sensors import landing_files_sensor
from orchestration.ingest.arrivals import MAX_REMEMBERED, arrivals
from orchestration.ingest.landing import scan_landing
from orchestration.settings import Settings

CURSOR_LIMIT = 64 * 1024


def _tick(instance: dg.DagsterInstance, cursor: str | None) -> tuple[list[str], str]:
    resources = {"landing": platform_resources(Settings.from_env())["landing"]}
    result = landing_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    return sorted(r.partition_key for r in result.run_requests), result.cursor


def _deep_line() -> str:
    """The audit's probe: a span whose attribute value is nested 300 levels deep."""
    line = json.loads(conversation_line("e" * 32, datetime(2026, 11, 3, 12, 0)))
    deep = '{"stringValue": "leaf"}'
    for _ in range(299):
        deep = '{"arrayValue": {"values": [' + deep + "]}}"
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"].append(
        {"key": "deep", "value": "DEEP"}
    )
    return json.dumps(line).replace('"DEEP"', deep)


def test_a_poison_file_does_not_fail_the_sensor(landing):
    """It used to raise on every tick (orjson's recursion limit), so no day was ever triggered."""
    instance = dg.DagsterInstance.ephemeral()
    (landing / "good.jsonl").write_text(conversation_line("a" * 32, datetime(2026, 11, 4, 10, 0)) + "\n")
    poison = landing / "poison.jsonl"
    poison.write_text(_deep_line() + "\n" + conversation_line("b" * 32, datetime(2026, 11, 3, 9, 0)) + "\n")
    (landing / "garbage.jsonl.gz").write_bytes(b"\x1f\x8b not really gzip")

    days, cursor = _tick(instance, None)
    # The poison file's good line calls for its day; its quarantined span is reported there too.
    assert {"2026-11-03", "2026-11-04"} <= set(days)
    assert _tick(instance, cursor)[0] == []


def test_the_sensor_cursor_stays_under_64_kib_with_a_thousand_files(landing):
    """The cursor used to hold every path: 1,200 files of long names made it 250 KB."""
    instance = dg.DagsterInstance.ephemeral()
    line = conversation_line("c" * 32, datetime(2026, 11, 3, 9, 0)) + "\n"
    for n in range(1_200):
        (landing / f"otlp-http-20261103T090000000000Z-{n:06d}-{'0' * 150}.jsonl").write_text(line)
    days, cursor = _tick(instance, None)
    assert days == ["2026-11-03"]
    assert len(cursor.encode()) < CURSOR_LIMIT
    # The files beyond what the cursor keeps are taken once more; the cursor stays bounded.
    days, cursor = _tick(instance, cursor)
    assert len(cursor.encode()) < CURSOR_LIMIT


def _write_many(landing: Path, directories: int, per_directory: int) -> None:
    for d in range(directories):
        directory = landing / f"batch-{d:05d}"
        directory.mkdir()
        for f in range(per_directory):
            (directory / f"otlp-http-{d:05d}-{f:03d}-{'x' * 60}.jsonl").write_text("{}\n")


def _after(ctime_ns: int, probe: Path) -> None:
    """Wait until the file system's clock (which stamps ctimes coarsely) is past `ctime_ns`."""
    while True:
        probe.write_text("tick")
        if probe.stat().st_ctime_ns > ctime_ns:
            return


def test_the_cursor_stays_under_64_kib_however_many_files_land(landing):
    _write_many(landing, directories=5, per_directory=1_000)
    scan = scan_landing(landing)
    assert len(scan.files) == 5_000

    # A look right after they landed remembers them as recent, up to the cap.
    burst = arrivals(scan, None, time.time_ns())
    assert burst.first_look and len(burst.files) == 5_000
    assert len(json.loads(burst.cursor)["recent"]) == MAX_REMEMBERED
    assert len(burst.cursor.encode()) < CURSOR_LIMIT
    # Beyond the cap a file is taken once more by the next look, not lost.
    again = arrivals(scan_landing(landing), burst.cursor, time.time_ns())
    assert len(again.files) == 5_000 - MAX_REMEMBERED
    assert len(again.cursor.encode()) < CURSOR_LIMIT

    # Thousands of directories too: still bounded.
    _write_many(landing / "batch-00000", directories=2_500, per_directory=1)
    many = arrivals(scan_landing(landing), again.cursor, time.time_ns())
    assert len(json.loads(many.cursor)["dirs"]) == MAX_REMEMBERED
    assert len(many.cursor.encode()) < CURSOR_LIMIT

    # Once the files are older than a look's mark, the next look takes nothing.
    settled = arrivals(scan_landing(landing), None, time.time_ns(), margin_ns=0)
    assert len(settled.files) == 7_500
    assert len(settled.cursor.encode()) < CURSOR_LIMIT
    assert arrivals(scan_landing(landing), settled.cursor, time.time_ns(), margin_ns=0).files == []


def test_a_late_file_with_an_old_mtime_arrives_after_thousands_of_files(landing, tmp_path):
    _write_many(landing, directories=10, per_directory=300)
    now = time.time_ns()
    cursor = arrivals(scan_landing(landing), None, now, margin_ns=0).cursor
    assert arrivals(scan_landing(landing), cursor, time.time_ns(), margin_ns=0).files == []
    _after(now, tmp_path / "probe")

    late = landing / "batch-00003" / "late.jsonl"
    late.write_text("{}\n")
    os.utime(late, (1_000_000_000, 1_000_000_000))  # `cp -p` of a file written in 2001
    now = time.time_ns()
    found = arrivals(scan_landing(landing), cursor, now, margin_ns=0)
    assert [Path(f.path).name for f in found.files] == ["late.jsonl"]
    _after(now, tmp_path / "probe")
    # Rewriting a file already seen makes it arrive again.
    rewritten = landing / "batch-00007" / f"otlp-http-00007-005-{'x' * 60}.jsonl"
    rewritten.write_text("{}\n{}\n")
    again = arrivals(scan_landing(landing), found.cursor, time.time_ns(), margin_ns=0)
    assert [Path(f.path).name for f in again.files] == [rewritten.name]


def test_a_directory_moved_in_whole_arrives_with_all_its_files(landing, tmp_path):
    """Moving a directory keeps its files' ctimes: they look older than the last look."""
    delivery = tmp_path / "delivery" / "2026-11-03"
    delivery.mkdir(parents=True)
    for n in range(3):
        (delivery / f"export-{n}.jsonl").write_text("{}\n")
    _after(max(p.stat().st_ctime_ns for p in delivery.iterdir()), tmp_path / "probe")
    now = time.time_ns()
    cursor = arrivals(scan_landing(landing), None, now, margin_ns=0).cursor
    _after(now, tmp_path / "probe")

    os.rename(delivery.parent, landing / "delivery")
    now = time.time_ns()
    found = arrivals(scan_landing(landing), cursor, now, margin_ns=0)
    assert sorted(Path(f.path).name for f in found.files) == [
        "export-0.jsonl",
        "export-1.jsonl",
        "export-2.jsonl",
    ]
    _after(now, tmp_path / "probe")
    assert arrivals(scan_landing(landing), found.cursor, time.time_ns(), margin_ns=0).files == []


def test_a_cursor_of_the_first_format_is_read_once_then_replaced(landing):
    """The cursor used to map every path to `mtime:size`: those files stay seen across the upgrade."""
    seen = landing / "seen.jsonl"
    seen.write_text("{}\n")
    stat = seen.stat()
    legacy = json.dumps({str(seen): f"{stat.st_mtime_ns}:{stat.st_size}"})
    (landing / "new.jsonl").write_text("{}\n")
    found = arrivals(scan_landing(landing), legacy, time.time_ns())
    assert not found.first_look
    assert [Path(f.path).name for f in found.files] == ["new.jsonl"]
    assert json.loads(found.cursor)["format"] == 2


@pytest.mark.parametrize(
    "cursor", ["not json", "[1, 2]", '{"format": 2, "mark": "x", "recent": [], "dirs": []}']
)
def test_an_unreadable_cursor_is_a_first_look_not_a_failure(landing, cursor):
    (landing / "a.jsonl").write_text("{}\n")
    found = arrivals(scan_landing(landing), cursor, time.time_ns())
    assert found.first_look and len(found.files) == 1
