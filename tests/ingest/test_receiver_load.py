"""A bounded load on loopback: concurrent OTLP/HTTP clients, every span acknowledged with 200
ingested exactly once. (Throughput figures are benchmarks/bench_receiver.py's, not a test's.)"""

from __future__ import annotations

import gzip
import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import requests
from ingest_builders import DAY, JOURNEY, protobuf_body, request, rows, sid, span, tid
from receiver_runner import running_receiver

from orchestration.ingest import ingest_partition
from orchestration.settings import ReceiverSettings

CLIENTS = 8
REQUESTS_PER_CLIENT = 25
SPANS_PER_REQUEST = 4
ENCODINGS = list(itertools.product(["protobuf", "json"], [False, True]))  # content type, gzip


def _request(client: int, n: int) -> tuple[dict, set[tuple[str, str]]]:
    trace = client * 1000 + n + 1
    spans = [
        span(trace, k + 1, k, k + 1, {**JOURNEY, "session.id": f"load-{trace}"}, parent=None if k == 0 else 1)
        for k in range(SPANS_PER_REQUEST)
    ]
    return request(*spans), {(tid(trace), sid(k + 1)) for k in range(SPANS_PER_REQUEST)}


def _client(url: str, client: int) -> set[tuple[str, str]]:
    """Send this client's requests one after another, retrying 429/503 as an exporter does; the
    span ids acknowledged with 200."""
    acknowledged: set[tuple[str, str]] = set()
    with requests.Session() as session:
        for n in range(REQUESTS_PER_CLIENT):
            document, ids = _request(client, n)
            content_type, compressed = ENCODINGS[(client + n) % len(ENCODINGS)]
            body = protobuf_body(document) if content_type == "protobuf" else orjson.dumps(document)
            headers = {"Content-Type": f"application/{'x-protobuf' if content_type == 'protobuf' else 'json'}"}
            if compressed:
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            while True:
                answer = session.post(url, data=body, headers=headers, timeout=60)
                if answer.status_code not in (429, 503):
                    break
                assert answer.headers["Retry-After"]
                time.sleep(0.02)  # the test's stand-in for Retry-After's second
            assert answer.status_code == 200, answer.text
            acknowledged |= ids
    return acknowledged


def test_concurrent_clients_every_acknowledged_span_is_ingested_exactly_once(tmp_path, warehouse):
    landing = tmp_path / "received"
    settings = ReceiverSettings(max_concurrent_requests=4)  # fewer slots than clients: some get 429
    with running_receiver(landing, settings=settings) as receiver, ThreadPoolExecutor(CLIENTS) as pool:
        acknowledged = set().union(*pool.map(lambda client: _client(receiver.traces_url, client), range(CLIENTS)))
    assert len(acknowledged) == CLIENTS * REQUESTS_PER_CLIENT * SPANS_PER_REQUEST

    report = ingest_partition(warehouse, landing, DAY)
    assert report.quarantined == 0
    landed = rows(warehouse, "select trace_id, span_id from raw.spans")
    assert len(landed) == len(acknowledged)  # nothing twice
    assert {(r["trace_id"], r["span_id"]) for r in landed} == acknowledged  # nothing lost
    # Batched (one file per 100 requests or per second): fewer files than requests.
    assert len(list(landing.rglob("otlp-http-*.jsonl"))) < CLIENTS * REQUESTS_PER_CLIENT / 2
