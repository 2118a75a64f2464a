"""The receiver under hostile load: many gzip members, slow bodies, too many requests at once."""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
import requests
from ingest_builders import JOURNEY, request, span
from receiver_runner import Receiver, running_receiver

from orchestration.ingest.landing import list_landing_files
from orchestration.settings import ReceiverSettings

JSON = {"Content-Type": "application/json"}
BODY = orjson.dumps(request(span(1, 1, 0, 1, JOURNEY)))


def _received(receiver: Receiver) -> list[dict]:
    return [orjson.loads(line) for f in list_landing_files(receiver.landing) for line in Path(f.path).read_bytes().splitlines()]


class _CountingInflater:
    """A zlib decompressor that adds up the compressed bytes it is handed."""

    fed = 0

    def __init__(self, inflater) -> None:
        self._inflater = inflater

    def decompress(self, data, max_length=0):
        _CountingInflater.fed += len(data)
        return self._inflater.decompress(data, max_length)

    def __getattr__(self, name):
        return getattr(self._inflater, name)


def test_a_gzip_body_of_many_members_is_read_in_linear_work(receiver, monkeypatch):
    """10,000 empty members, then the request: zlib is handed each byte a bounded number of times
    (feeding it the whole rest of the body after each member is quadratic: 20 s for 3.2 MB)."""
    body = gzip.compress(b"") * 10_000 + gzip.compress(BODY)
    decompressobj = zlib.decompressobj
    monkeypatch.setattr(zlib, "decompressobj", lambda *a, **k: _CountingInflater(decompressobj(*a, **k)))
    _CountingInflater.fed = 0
    answer = requests.post(receiver.traces_url, data=body, headers={**JSON, "Content-Encoding": "gzip"}, timeout=60)
    assert answer.status_code == 200
    assert _received(receiver) == [orjson.loads(BODY)]
    assert len(body) <= _CountingInflater.fed <= 32 * len(body)


@contextmanager
def _trickling(receiver: Receiver, sent: bytes, declared: int) -> Iterator[socket.socket]:
    """A client that sent its headers and `sent` of a `declared`-byte body, and stalls."""
    host, port = receiver.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as client:
        client.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {declared}\r\n\r\n".encode()
            + sent
        )
        yield client


def _health(receiver: Receiver) -> dict:
    return requests.get(f"{receiver.url}/health", timeout=10).json()


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def _refusal(answer: requests.Response) -> str:
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["code"] == 8  # RESOURCE_EXHAUSTED
    return answer.json()["message"]


def test_past_the_concurrent_request_bound_a_request_gets_429_with_retry_after(tmp_path):
    settings = ReceiverSettings(max_concurrent_requests=2, batch_requests=1)
    with running_receiver(tmp_path / "received", settings=settings) as receiver:
        with _trickling(receiver, BODY[:10], len(BODY)) as first, _trickling(receiver, BODY[:10], len(BODY)):
            _wait_for(lambda: _health(receiver)["in_flight_requests"] == 2, "two requests in flight")
            refused = requests.post(receiver.traces_url, data=BODY, headers=JSON, timeout=10)
            assert "concurrent-request limit" in _refusal(refused)
            first.sendall(BODY[10:])  # the first finishes: its slot is free again
            assert first.recv(1024).startswith(b"HTTP/1.1 200")
            _wait_for(lambda: _health(receiver)["in_flight_requests"] == 1, "the slot given back")
            assert requests.post(receiver.traces_url, data=BODY, headers=JSON, timeout=10).status_code == 200
        assert len(_received(receiver)) == 2


def test_past_the_buffered_bytes_bound_a_request_gets_429_and_the_bytes_are_given_back(tmp_path):
    settings = ReceiverSettings(max_buffered_mb=64 / 1024, batch_requests=1)  # 64 KiB
    big = b" " * (60 << 10)
    with running_receiver(tmp_path / "received", settings=settings) as receiver:
        with _trickling(receiver, big, len(big) + 100):
            _wait_for(lambda: _health(receiver)["buffered_bytes"] == len(big), "the first body held")
            refused = requests.post(receiver.traces_url, data=BODY + b" " * (8 << 10), headers=JSON, timeout=10)
            assert "too many request bytes" in _refusal(refused)
        # The stalled client hung up: its bytes are no longer held, and a request fits again.
        _wait_for(lambda: (now := _health(receiver))["buffered_bytes"] == now["in_flight_requests"] == 0, "bytes given back")
        assert requests.post(receiver.traces_url, data=BODY, headers=JSON, timeout=10).status_code == 200
        assert len(_received(receiver)) == 1


def test_a_decompressed_body_counts_against_the_buffered_bytes_bound(tmp_path):
    """1 KiB on the wire, 100 KiB once inflated: what the receiver holds is the inflated body."""
    settings = ReceiverSettings(max_buffered_mb=64 / 1024, batch_requests=1)  # 64 KiB
    padded = BODY[:-1] + b" " * (100 << 10) + BODY[-1:]
    compressed = gzip.compress(padded)
    assert len(compressed) < 2 << 10
    with running_receiver(tmp_path / "received", settings=settings) as receiver:
        refused = requests.post(
            receiver.traces_url, data=compressed, headers={**JSON, "Content-Encoding": "gzip"}, timeout=10
        )
        assert "too many request bytes" in _refusal(refused)
        assert _health(receiver)["buffered_bytes"] == 0  # given back
        assert requests.post(receiver.traces_url, data=gzip.compress(BODY), headers={**JSON, "Content-Encoding": "gzip"}, timeout=10).status_code == 200
        assert len(_received(receiver)) == 1


@pytest.mark.parametrize("sent", [0, 10], ids=["no body yet", "part of it"])
def test_a_body_not_sent_in_time_gets_408_and_frees_its_slot(tmp_path, sent):
    settings = ReceiverSettings(body_timeout_seconds=0.5, max_concurrent_requests=1, batch_requests=1)
    with running_receiver(tmp_path / "received", settings=settings) as receiver:
        with _trickling(receiver, BODY[:sent], len(BODY)) as slow:
            answer = slow.recv(4096)  # the receiver answers without waiting for the rest
            assert answer.startswith(b"HTTP/1.1 408")
            status = orjson.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert status == {"code": 4, "message": "request body not received within 0.5 s"}  # DEADLINE_EXCEEDED
        assert requests.post(receiver.traces_url, data=BODY, headers=JSON, timeout=10).status_code == 200
        assert _health(receiver)["in_flight_requests"] == 0
