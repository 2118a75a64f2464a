"""An OpenAI-compatible chat-completions server on loopback, for testing the LLM judge.

It plays a script: each request takes the next scripted reply (an HTTP error, a malformed body,
a slow answer, or a verdict), and once the script is exhausted answers every request with a
valid verdict. It records every request and the peak number of requests in flight, so tests
can check retries, caching and the concurrency bound.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 120
COMPLETION_TOKENS = 30


@dataclass
class Reply:
    status: int = 200
    verdict: dict[str, Any] | None = None  # the judge's JSON; None means the default verdict
    raw_content: str | None = None  # message content sent as is (to send malformed JSON); an error's message
    delay_s: float = 0.0


def verdict(score: float = 1.0, applicable: bool = True, reason: str = "Canned verdict.") -> dict[str, Any]:
    return {
        "applicable": applicable,
        "score": score,
        "reason": reason,
        "evidence": [{"turn": 0, "quote": "hi"}],
    }


@dataclass
class JudgeServer:
    script: list[Reply] = field(default_factory=list)
    default_verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)  # rubric stem -> verdict
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    delay_s: float = 0.0  # applied to every request, to make concurrency observable
    outage: Reply | None = None  # when set, every request gets it: the judge is down

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append(body)
                    reply = server.outage or (server.script.pop(0) if server.script else Reply())
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    time.sleep(reply.delay_s or server.delay_s)
                    self._answer(reply, body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, reply: Reply, body: dict[str, Any]) -> None:
                if reply.status != 200:
                    message = reply.raw_content or f"scripted {reply.status}"
                    payload = json.dumps({"error": {"message": message, "type": "test"}}).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("retry-after-ms", "10")  # keep the client's backoff short
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                system = body["messages"][0]["content"]
                stem = next((s for s in server.default_verdicts if f"rubric {s}" in system), None)
                content = reply.raw_content
                if content is None:
                    chosen = (
                        reply.verdict or (server.default_verdicts.get(stem) if stem else None) or verdict()
                    )
                    content = json.dumps(chosen)
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": PROMPT_TOKENS,
                            "completion_tokens": COMPLETION_TOKENS,
                            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
                        },
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
