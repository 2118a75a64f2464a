"""The real receiver app under uvicorn in a background thread, for tests that talk to it over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from orchestration.receiver import create_app


@dataclass
class Receiver:
    url: str
    landing: Path

    @property
    def traces_url(self) -> str:
        return f"{self.url}/v1/traces"


@contextmanager
def running_receiver(landing: Path, **options) -> Iterator[Receiver]:
    """The real receiver app under uvicorn on a free loopback port, in a background thread, with
    its lifespan (start-up recovery, the last batch published at shutdown). `options` go to
    `create_app` (`settings=ReceiverSettings(...)`, `max_body_bytes`) and, with an `ssl_` prefix,
    to uvicorn."""
    ssl = {k: options.pop(k) for k in list(options) if k.startswith("ssl_")}
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(landing, **options), log_level="warning", lifespan="on", **ssl)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "receiver did not start"
        time.sleep(0.01)
    try:
        yield Receiver(f"{'https' if ssl else 'http'}://127.0.0.1:{port}", landing)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
