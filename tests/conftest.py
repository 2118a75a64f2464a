"""Fixtures shared across test areas."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from app_runner import main_module_kept

from orchestration.receiver import create_app
from orchestration.settings import ReceiverSettings


@pytest.fixture(autouse=True)
def _main_module_kept() -> Iterator[None]:
    """No test leaves Streamlit's script behind as the process's `__main__` (see main_module_kept)."""
    with main_module_kept():
        yield


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


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """The receiver with a 256 KiB body limit and one landing file per request, so a test sees
    each request's file as soon as it is answered."""
    settings = ReceiverSettings(batch_requests=1)
    with running_receiver(tmp_path / "received", max_body_bytes=256 * 1024, settings=settings) as running:
        yield running
