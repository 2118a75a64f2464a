"""`journeys serve` under load: sustained requests/s and spans/s, and where it starts refusing.

    .venv/bin/python benchmarks/bench_receiver.py [--quick] [--json PATH]
        [--spans-per-request 100] [--seconds 10] [--concurrency 1,4,16,64,96,128,256]

Starts `journeys serve` as a subprocess on a loopback port with its default settings (64
concurrent requests, 256 MiB buffered, one landing file per 100 requests or per second, each
request fsynced before its 200) and a temporary landing directory. Client processes (threads in
each, one keep-alive connection per thread) post OTLP/HTTP requests for `--seconds` at each
concurrency level, cycling protobuf and JSON, gzip and not, as exporters send them; a refused
request (429/503) is counted and sent again at once, which is harsher than an exporter honouring
`Retry-After`. For each level it prints the acknowledged requests/s and spans/s, the share of
answers that were refusals, and the median and 99th-percentile latency; then the best sustained
rate with no refusals against the target, and the lowest level at which refusals began. At the
end it checks that every acknowledged span is in the landing files. Prints the command and the
machine. Not a test: nothing asserts.

Targets: 10,000 spans/s sustained without refusals, in requests of 100 spans, on the machine
the clients share (a contact center of 1,000 concurrent conversations at 10 spans/s each); and no
refusal at or below the configured concurrency bound (64 clients).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson
import requests
from bench_ingest import machine  # the same machine line as the other benchmarks
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from orchestration.ingest.landing import list_landing_files
from orchestration.ingest.otlp_json import request_to_json_line

TARGET_SPANS_PER_S = 10_000
CONCURRENCY_BOUND = 64  # journeys serve's default --max-concurrent-requests
THREADS_PER_PROCESS = 16
DAY_START_NS = 1_791_795_600_000_000_000  # 2026-10-12 09:00 UTC
ENCODINGS = [("application/x-protobuf", False), ("application/json", False), ("application/x-protobuf", True),
             ("application/json", True)]


def _attributes(values: dict[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in values.items()]


def build_request(client: int, n: int, spans: int) -> ExportTraceServiceRequest:
    """One request of `spans` spans of one conversation, with the journey attributes and a turn's text."""
    trace_id = (client << 64 | n).to_bytes(16, "big")
    conversation = {
        "session.id": f"bench-{client}-{n}", "customer.id": f"c-{client}", "journey.id": f"j-{client}-{n}",
        "journey.name": "billing_dispute", "journey.stage": "investigation", "channel": "chat", "agent.type": "ai",
    }
    built = [
        Span(
            trace_id=trace_id,
            span_id=(k + 1).to_bytes(8, "big"),
            parent_span_id=b"" if k == 0 else (1).to_bytes(8, "big"),
            name="conversation" if k == 0 else "agent.message",
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=DAY_START_NS + k * 1_000_000_000,
            end_time_unix_nano=DAY_START_NS + (k + 1) * 1_000_000_000,
            attributes=_attributes(
                conversation | {"input.value": f"customer turn {k} about an invoice",
                                "output.value": f"agent answer {k} with the next step"}
            ),
        )
        for k in range(spans)
    ]
    resource = {"attributes": _attributes({"service.name": "bench-agent"})}
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=built)])]
    )


def bodies(count: int, spans: int) -> list[tuple[bytes, dict[str, str]]]:
    """`count` distinct request bodies, cycling the four encodings (built once, sent many times)."""
    prepared = []
    for n in range(count):
        message = build_request(0, n, spans)
        content_type, compressed = ENCODINGS[n % len(ENCODINGS)]
        body = message.SerializeToString() if content_type.endswith("protobuf") else request_to_json_line(message)
        headers = {"Content-Type": content_type}
        if compressed:
            body, headers["Content-Encoding"] = gzip.compress(body, 1), "gzip"
        prepared.append((body, headers))
    return prepared


def client_process(
    url: str, prepared: list[tuple[bytes, dict[str, str]]], threads: int, seconds: float, start_at: float
) -> dict:
    """`threads` clients posting `prepared` bodies in turn for `seconds` from wall-clock `start_at`;
    their counts and latencies."""
    counts = {"ok": 0, "refused": 0, "other": 0}
    latencies: list[float] = []
    lock = threading.Lock()

    def run(client: int) -> None:
        n = client
        with requests.Session() as session:
            while time.time() < start_at:
                time.sleep(0.001)
            deadline = start_at + seconds
            while time.time() < deadline:
                body, headers = prepared[n % len(prepared)]
                began = time.perf_counter()
                try:
                    status = session.post(url, data=body, headers=headers, timeout=60).status_code
                except requests.RequestException:
                    status = -1
                took = time.perf_counter() - began
                key = "ok" if status == 200 else "refused" if status in (429, 503) else "other"
                with lock:
                    counts[key] += 1
                    if key == "ok":
                        latencies.append(took)
                if key == "ok":
                    n += 1

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {**counts, "latencies": latencies}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_receiver(landing: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    journeys = Path(sys.executable).with_name("journeys")
    process = subprocess.Popen(
        [str(journeys), "serve", "--port", str(port), "--landing-dir", str(landing)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/health", timeout=1)
            return process, url
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("journeys serve did not start") from None
            time.sleep(0.2)


def run_level(
    url: str, concurrency: int, seconds: float, spans: int, prepared: list[tuple[bytes, dict[str, str]]]
) -> dict:
    processes = max(1, -(-concurrency // THREADS_PER_PROCESS))
    per_process = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    start_at = time.time() + 1.0 + 0.2 * processes  # every client process is up by then
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(client_process, f"{url}/v1/traces", prepared, threads, seconds, start_at)
            for threads in per_process
        ]
        results = [f.result() for f in futures]
    ok = sum(r["ok"] for r in results)
    refused = sum(r["refused"] for r in results)
    other = sum(r["other"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    answered = ok + refused + other
    return {
        "concurrency": concurrency,
        "requests_per_s": ok / seconds,
        "spans_per_s": ok * spans / seconds,
        "refused_share": refused / answered if answered else 0.0,
        "errors": other,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else None,
        "acknowledged_spans": ok * spans,
    }


def landed_spans(landing: Path) -> int:
    total = 0
    for landed in list_landing_files(landing):
        for line in Path(landed.path).read_bytes().splitlines():
            request = orjson.loads(line)
            total += sum(len(ss["spans"]) for rs in request["resourceSpans"] for ss in rs["scopeSpans"])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per level, levels 4,64,128 (for make bench)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--spans-per-request", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per level")
    parser.add_argument("--concurrency", default="1,4,16,64,96,128,256", help="comma-separated client counts")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    levels = [4, 64, 128] if args.quick else [int(c) for c in args.concurrency.split(",")]

    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"{args.spans_per_request} spans per request, {seconds:g} s per level, receiver defaults\n")
    print(f"{'clients':>7} {'requests/s':>11} {'spans/s':>9} {'refused':>8} {'p50 ms':>7} {'p99 ms':>7}")
    with tempfile.TemporaryDirectory(prefix="bench-receiver-") as scratch:
        landing = Path(scratch) / "landing"
        process, url = start_receiver(landing)
        prepared = bodies(16, args.spans_per_request)
        results = []
        try:
            for concurrency in levels:
                result = run_level(url, concurrency, seconds, args.spans_per_request, prepared)
                results.append(result)
                print(
                    f"{concurrency:>7} {result['requests_per_s']:>11,.0f} {result['spans_per_s']:>9,.0f} "
                    f"{result['refused_share']:>8.1%} {result['p50_ms'] or 0:>7.1f} {result['p99_ms'] or 0:>7.1f}"
                    + (f"  ({result['errors']} errors)" if result["errors"] else "")
                )
        finally:
            process.terminate()  # publishes the open batch
            process.wait(30)
        acknowledged = sum(r["acknowledged_spans"] for r in results)
        landed = landed_spans(landing)
        files = len(list_landing_files(landing))

    clean = [r for r in results if r["refused_share"] == 0 and not r["errors"]]
    best = max(clean, key=lambda r: r["spans_per_s"], default=None)
    refusing = [r["concurrency"] for r in results if r["refused_share"] > 0]
    first_refusal = min(refusing) if refusing else None
    figures = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "spans_per_request": args.spans_per_request,
        "seconds_per_level": seconds,
        "levels": results,
        "sustained_requests_per_s": best["requests_per_s"] if best else 0.0,
        "sustained_spans_per_s": best["spans_per_s"] if best else 0.0,
        "target_spans_per_s": TARGET_SPANS_PER_S,
        "first_refusal_concurrency": first_refusal,
        "concurrency_bound": CONCURRENCY_BOUND,
        "acknowledged_spans": acknowledged,
        "landed_spans": landed,
        "landing_files": files,
    }
    print()
    if best:
        met = "met" if best["spans_per_s"] >= TARGET_SPANS_PER_S else "MISSED"
        print(
            f"sustained without refusals: {best['requests_per_s']:,.0f} requests/s, {best['spans_per_s']:,.0f} spans/s "
            f"at {best['concurrency']} clients (target >= {TARGET_SPANS_PER_S:,} spans/s: {met})"
        )
    if first_refusal is None:
        print("no 429/503 at any level tried")
    else:
        met = "met" if first_refusal > CONCURRENCY_BOUND else "MISSED"
        print(
            f"429/503 began at {first_refusal} concurrent clients "
            f"(target: none at or below the bound of {CONCURRENCY_BOUND}: {met})"
        )
    print(f"acknowledged spans in the landing files: {landed:,} of {acknowledged:,}, in {files} files")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
