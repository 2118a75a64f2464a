"""Fixtures shared across test areas."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from app_runner import main_module_kept

from orchestration.receiver import create_app


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


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """The real receiver app under uvicorn on a free loopback port, in a background thread."""
    landing = tmp_path / "received"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(landing, max_body_bytes=256 * 1024), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "receiver did not start"
        time.sleep(0.01)
    yield Receiver(f"http://127.0.0.1:{port}", landing)
    server.should_exit = True
    thread.join(10)
    sock.close()
