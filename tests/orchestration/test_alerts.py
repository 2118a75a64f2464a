import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

from orchestration.alerts import send_alert


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alert_is_recorded_and_posted(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        record = send_alert({"kind": "run_failure", "job": "daily_journeys"}, path=tmp_path / "a.jsonl", webhook=url)
    finally:
        server.shutdown()
    assert record["webhook"] == "delivered (204)"
    assert _Collector.received[-1]["job"] == "daily_journeys"
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["kind"] == "run_failure"


def test_a_dead_webhook_is_noted_in_the_record_not_raised(tmp_path):
    record = send_alert({"kind": "x"}, path=tmp_path / "a.jsonl", webhook="http://127.0.0.1:9/nothing")
    assert record["webhook"].startswith("webhook failed")
    assert json.loads((tmp_path / "a.jsonl").read_text())["webhook"].startswith("webhook failed")
