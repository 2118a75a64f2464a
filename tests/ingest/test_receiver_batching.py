"""The receiver's landing batches: few files, each request durable before its 200, nothing lost
to a crash or a failed write."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

import orjson
import requests
from ingest_builders import DAY, JOURNEY, request, rows, span
from receiver_runner import running_receiver
from serve_process import journeys_serve

from orchestration.ingest import ingest_partition
from orchestration.ingest.landing import list_landing_files
from orchestration.settings import ReceiverSettings

JSON = {"Content-Type": "application/json"}


def _body(n: int, **attributes) -> bytes:
    """A one-span request; `n` makes its trace and session unique."""
    return orjson.dumps(request(span(n, 1, 0, 1, {**JOURNEY, "session.id": f"batch-{n}", **attributes})))


def _post(url: str, n: int, **attributes) -> requests.Response:
    return requests.post(f"{url}/v1/traces", data=_body(n, **attributes), headers=JSON, timeout=30)


def _published(landing: Path) -> list[int]:
    """Lines per published trace file, in name (= time) order."""
    return [len(Path(f.path).read_bytes().splitlines()) for f in list_landing_files(landing)]


def _hidden(landing: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in landing.rglob(".*") if p.is_file()}


def _span_count(warehouse, landing: Path) -> int:
    report = ingest_partition(warehouse, landing, DAY)
    assert report.quarantined == 0
    return rows(warehouse, "select count(*) as n from raw.spans")[0]["n"]


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)


def test_requests_share_a_landing_file_per_batch_size_and_each_is_durable_when_answered(tmp_path, warehouse):
    landing = tmp_path / "received"
    with running_receiver(landing, settings=ReceiverSettings(batch_requests=5, batch_seconds=600)) as receiver:
        for n in range(1, 13):
            assert _post(receiver.url, n).status_code == 200
            on_disk = b"".join(Path(f.path).read_bytes() for f in list_landing_files(landing))
            on_disk += b"".join(_hidden(landing).values())
            assert on_disk.count(b"\n") == n  # in a file before the 200, published or not yet
        assert _published(landing) == [5, 5]
        (batch,) = _hidden(landing)  # the open batch: hidden, so not read, until it is full or old
        assert batch.startswith(".otlp-http-") and batch.endswith(".jsonl.batch")
        assert requests.get(f"{receiver.url}/health", timeout=10).json()["open_batch_requests"] == 2
    assert _published(landing) == [5, 5, 2]  # shutting down publishes the open batch
    assert _hidden(landing) == {}
    assert all(Path(f.path).name.startswith("otlp-http-") for f in list_landing_files(landing))
    assert _span_count(warehouse, landing) == 12


def test_a_batch_is_published_once_its_seconds_are_up(tmp_path):
    landing = tmp_path / "received"
    with running_receiver(landing, settings=ReceiverSettings(batch_requests=100, batch_seconds=1)) as receiver:
        for n in range(1, 4):
            assert _post(receiver.url, n).status_code == 200
        _wait_for(lambda: sum(_published(landing)) == 3, "the batch published without more requests")
        assert len(_published(landing)) < 3 and _hidden(landing) == {}


def test_a_batch_left_by_a_crash_is_published_at_start_up(tmp_path, warehouse):
    landing = tmp_path / "received"
    arguments = ("--landing-dir", str(landing), "--batch-requests", "100", "--batch-seconds", "600")
    with journeys_serve(*arguments, stop_signal="kill") as serving:
        for n in range(1, 4):
            assert _post(serving.url, n).status_code == 200
    assert _published(landing) == []  # killed: the three acknowledged requests are in its open batch
    ((name, content),) = _hidden(landing).items()
    assert content.count(b"\n") == 3
    batch = next(landing.rglob(name))
    with batch.open("ab") as torn:  # as if it died writing a fourth request, never acknowledged
        torn.write(_body(4)[:40])
    (batch.parent / ".otlp-http-20261005T000000000000Z-000000000000.jsonl.batch").touch()  # died on opening one
    (batch.parent / ".otlp-http-20261005T000000000000Z-111111111111.jsonl.tmp").write_bytes(_body(5))  # a single write

    with running_receiver(landing):
        assert _published(landing) == [3]
        assert _hidden(landing) == {}
    assert _span_count(warehouse, landing) == 3


def test_start_up_leaves_a_live_writers_files_alone(tmp_path):
    landing = tmp_path / "received"
    settings = ReceiverSettings(batch_requests=100, batch_seconds=600)
    with running_receiver(landing, settings=settings) as first:
        assert _post(first.url, 1).status_code == 200
        (open_batch,) = _hidden(landing)
        writing = landing / "2026-10-05" / ".sim-20261005T000000000000Z-0123456789ab.jsonl.tmp"
        writing.parent.mkdir(parents=True, exist_ok=True)
        with writing.open("wb") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as write_trace_file holds its temporary file
            with running_receiver(landing, settings=settings) as second:
                assert set(_hidden(landing)) == {open_batch, writing.name}
                assert _post(second.url, 2).status_code == 200
        assert _post(first.url, 3).status_code == 200
    assert sorted(_published(landing)) == [1, 2]  # the first receiver's batch holds both its requests


def test_a_failed_write_is_a_503_that_leaves_no_hidden_file_and_loses_nothing(tmp_path, warehouse):
    """A real failed write: no file may grow past 4 KiB (RLIMIT_FSIZE), so a large request fails
    with EFBIG while small ones before and after it land."""
    landing = tmp_path / "received"
    arguments = ("--landing-dir", str(landing), "--batch-requests", "100", "--batch-seconds", "600")
    with journeys_serve(*arguments, file_size_limit=4096) as serving:
        assert _post(serving.url, 1).status_code == 200
        failed = _post(serving.url, 2, padding="x" * 8192)
        assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
        assert failed.json()["message"] == "cannot write to the landing directory: File too large"
        assert _post(serving.url, 3).status_code == 200
    assert _hidden(landing) == {}
    assert sum(_published(landing)) == 2
    assert _span_count(warehouse, landing) == 2
    assert {r["conversation_id"] for r in rows(warehouse, "select conversation_id from raw.conversations")} == {
        "batch-1",
        "batch-3",
    }


_FAILING_WRITE = """
import resource, sys
from pathlib import Path
from orchestration.ingest.landing import write_trace_file

Path(sys.argv[1]).mkdir()
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_trace_file(Path(sys.argv[1]) / "sim.jsonl", b"x" * 8192)
except OSError as exc:
    print(exc.strerror)
"""


def test_a_failed_single_write_removes_its_temporary_file(tmp_path):
    landing = tmp_path / "landing"
    done = subprocess.run(
        [sys.executable, "-c", _FAILING_WRITE, str(landing)], check=True, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "File too large"
    assert [p for p in landing.rglob("*") if p.is_file()] == []



def test_journeys_serve_reads_its_batching_from_the_environment(tmp_path):
    landing = tmp_path / "received"
    environment = {"JOURNEYS_RECEIVER_BATCH_REQUESTS": "2", "JOURNEYS_RECEIVER_BATCH_SECONDS": "600"}
    with journeys_serve("--landing-dir", str(landing), env=environment) as serving:
        for n in range(1, 4):
            assert _post(serving.url, n).status_code == 200
        assert _published(landing) == [2]  # full after two requests, the third waits in the open batch
    assert _published(landing) == [2, 1]
