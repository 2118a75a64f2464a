"""This app served by a real `streamlit run` on a given snapshot, and Debian's Chromium driven by
Playwright: what the browser tests (tests/app/browser.py) and the render benchmark
(benchmarks/bench_render.py) share. Not imported by the app itself.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it): Playwright
cannot download its own browser here, and nothing here installs anything.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 90


class ServerError(RuntimeError):
    """`streamlit run` exited, or never answered its health check; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise ServerError(f"streamlit was not healthy after {STARTUP_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def _inherited_env() -> dict[str, str]:
    """This process's environment without the sign-in settings: the caller says which it wants."""
    return {k: v for k, v in os.environ.items() if k not in ("JOURNEYS_APP_PASSWORD", "JOURNEYS_APP_ROLES")}


@contextmanager
def streamlit_server(
    serving: Path,
    log: Path,
    *,
    port: int | None = None,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """`streamlit run app/streamlit_app.py` on the snapshot in `serving`; yields its URL once
    the server answers its health check, and stops the server on exit.

    No `--server.address`: the bind address is the repo's `.streamlit/config.toml`, which the
    tests rely on (and check) like any other way of starting the app."""
    port = port or free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "streamlit_app.py"),
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.fileWatcherType", "none",
                "--client.toolbarMode", "viewer",
            ],
            cwd=cwd, env={**_inherited_env(), "JOURNEYS_SERVING_DIR": str(serving), **(env or {})},
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def chromium() -> Iterator:
    """A Playwright browser on Debian's Chromium; the caller opens its own contexts and pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
