"""`journeys serve` as a subprocess on a free loopback port, the way a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

JOURNEYS = Path(sys.executable).with_name("journeys")  # the console script pyproject.toml installs
# Sets the limit, then becomes the command (Python ignores SIGXFSZ, so writes fail with EFBIG).
_LIMITED = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({0}, {0})); os.execv(sys.argv[1], sys.argv[1:])"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServeProcess:
    url: str
    port: int
    process: subprocess.Popen
    output: str = field(default="")  # everything it printed, once it has stopped


@contextmanager
def journeys_serve(
    *args: str,
    env: dict[str, str] | None = None,
    https_ca: Path | None = None,
    file_size_limit: int | None = None,
    stop_signal: str = "terminate",
) -> Iterator[ServeProcess]:
    """Run `journeys serve --port <free> *args` until the block ends (SIGTERM, or SIGKILL with
    `stop_signal="kill"`); `https_ca` is the certificate to trust when it serves HTTPS. With
    `file_size_limit`, no file it writes can grow past that many bytes (RLIMIT_FSIZE): writes
    beyond fail with EFBIG, a real failed write."""
    port = free_port()
    command = [str(JOURNEYS), "serve", "--port", str(port), *args]
    if file_size_limit is not None:
        command = [sys.executable, "-c", _LIMITED.format(file_size_limit), *command]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    url = f"{'https' if https_ca else 'http'}://127.0.0.1:{port}"
    running = ServeProcess(url, port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/health", timeout=1, verify=str(https_ca) if https_ca else True)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "journeys serve did not come up"
                time.sleep(0.2)
        yield running
    finally:
        process.kill() if stop_signal == "kill" else process.terminate()
        running.output = process.communicate(timeout=30)[0].decode()
