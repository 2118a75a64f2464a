"""Alerts against real loopback webhooks, well-behaved and not."""

import json
import logging
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from orchestration.alerts import WEBHOOK_BACKOFF_S, WEBHOOK_TIMEOUT_S, deliver, send_alert


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def _raw_webhook(
    answer: Callable[[socketserver.BaseRequestHandler, int], None],
) -> Iterator[tuple[str, list]]:
    """A TCP server on loopback whose `answer(handler, try_number)` decides what each POST gets,
    byte for byte: the misbehaviour an HTTP server library would not let us produce."""
    tries: list[int] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            tries.append(len(tries) + 1)
            answer(self, len(tries))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", tries
    finally:
        server.shutdown()
        server.server_close()


def _close(handler, _try):
    pass  # returning closes the connection without a byte of answer


def _garbage(handler, _try):
    handler.request.sendall(b"\x00\xffnot http at all\r\n\r\n")


def _fail_twice_then_accept(handler, try_number):
    if try_number <= 2:
        handler.request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    else:
        handler.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def test_alert_is_recorded_and_posted(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        record = send_alert(
            {"kind": "run_failure", "job": "daily_journeys"}, path=tmp_path / "a.jsonl", webhook=url
        )
    finally:
        server.shutdown()
    assert record["webhook"] == "delivered (204)"
    assert _Collector.received[-1]["job"] == "daily_journeys"
    alert, delivery = (json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines())
    assert alert["kind"] == "run_failure" and alert["webhook"] == "pending"
    assert delivery == {
        **delivery,
        "kind": "webhook_delivery",
        "alert_id": alert["id"],
        "webhook": "delivered (204)",
    }


def test_the_defaults_are_three_retries_after_1_2_and_4_s_with_a_5_s_timeout():
    assert (WEBHOOK_BACKOFF_S, WEBHOOK_TIMEOUT_S) == ((1.0, 2.0, 4.0), 5.0)


@pytest.mark.parametrize("misbehaviour", [_close, _garbage], ids=["closes_the_connection", "answers_garbage"])
def test_a_misbehaving_webhook_is_retried_logged_and_never_raised(tmp_path, caplog, misbehaviour):
    waits: list[float] = []
    with _raw_webhook(misbehaviour) as (url, tries), caplog.at_level(logging.WARNING, "orchestration.alerts"):
        record = send_alert(
            {"kind": "run_failure"}, path=tmp_path / "a.jsonl", webhook=url, sleep=waits.append
        )
    assert waits == list(WEBHOOK_BACKOFF_S) and tries == [1, 2, 3, 4]
    assert record["webhook"].startswith("webhook failed after 4 tries")
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert lines[0]["kind"] == "run_failure"  # the alert itself is on disk whatever the webhook did
    assert lines[1]["alert_id"] == lines[0]["id"] and lines[1]["webhook"].startswith("webhook failed")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 4
    assert any("failed after 4 tries" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_a_webhook_that_recovers_gets_the_alert_on_a_retry():
    waits: list[float] = []
    with _raw_webhook(_fail_twice_then_accept) as (url, tries):
        outcome = deliver(url, {"kind": "x"}, sleep=waits.append)
    assert outcome == "delivered (200)" and tries == [1, 2, 3] and waits == [1.0, 2.0]


def test_a_silent_webhook_times_out_per_try(tmp_path):
    release = threading.Event()
    with _raw_webhook(lambda handler, _try: release.wait(5)) as (url, tries):
        outcome = deliver(url, {"kind": "x"}, backoff_s=(0.0,), timeout_s=0.2)
        release.set()
    assert outcome.startswith("webhook failed after 2 tries") and "timed out" in outcome and tries == [1, 2]


def test_a_dead_webhook_is_noted_in_the_record_not_raised(tmp_path):
    record = send_alert(
        {"kind": "x"}, path=tmp_path / "a.jsonl", webhook="http://127.0.0.1:9/nothing", backoff_s=(0.0,)
    )
    assert record["webhook"].startswith("webhook failed")
    assert json.loads((tmp_path / "a.jsonl").read_text().splitlines()[-1])["webhook"].startswith(
        "webhook failed"
    )


def test_a_secret_in_a_failure_message_is_scrubbed_from_record_and_post(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "a-deployment-secret-value")
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        message = "401 from the judge: key a-deployment-secret-value rejected (Bearer abcdefgh12345678)"
        url = f"http://127.0.0.1:{server.server_port}/hook"
        send_alert({"kind": "run_failure", "message": message}, path=tmp_path / "a.jsonl", webhook=url)
    finally:
        server.shutdown()
    written = (tmp_path / "a.jsonl").read_text()
    assert "a-deployment-secret-value" not in written and "abcdefgh12345678" not in written
    assert _Collector.received[-1]["message"] == "401 from the judge: key [REDACTED] rejected (Bearer [REDACTED])"


def _trickle(handler, _try):
    """A whole answer, one byte at a time: each byte comes well within a socket timeout."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
        handler.request.sendall(bytes([byte]))
        time.sleep(0.1)


def test_a_webhook_that_trickles_its_answer_is_cut_off_at_the_timeout():
    """The 5 s bound each try gets is for the whole answer, not for each byte of it."""
    with _raw_webhook(_trickle) as (url, _):
        outcome = deliver(url, {"kind": "x"}, backoff_s=(), timeout_s=0.5)
    assert outcome.startswith("webhook failed after 1 tries") and "no whole answer within 0.5 s" in outcome


def test_an_alert_that_cannot_be_recorded_is_still_posted_and_logged(tmp_path, caplog):
    (tmp_path / "alerts").write_text("a file where the alerts directory should be")
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with caplog.at_level(logging.ERROR, "orchestration.alerts"):
            record = send_alert(
                {"kind": "run_failure", "job": "disk_full"},
                path=tmp_path / "alerts" / "alerts.jsonl",
                webhook=f"http://127.0.0.1:{server.server_port}/hook",
            )
    finally:
        server.shutdown()
    assert record["webhook"] == "delivered (204)" and _Collector.received[-1]["job"] == "disk_full"
    # The alert and its delivery outcome, each logged whole since neither reached the file.
    alert, delivery = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert alert.startswith("cannot write the alert record") and '"job": "disk_full"' in alert
    assert delivery.startswith("cannot write the alert record") and '"webhook": "delivered (204)"' in delivery
