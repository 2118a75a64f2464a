"""What the browser tests share: `streamlit run` as a real server, and Debian's Chromium driven
by Playwright.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it): Playwright
cannot download its own browser here, and these tests install nothing.
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

import pytest

REPO = Path(__file__).resolve().parents[2]
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
# Generous: the machine is shared, and a page's first run imports plotly and pandas.
STEP_TIMEOUT_MS = 60_000


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`) to run the browser test"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing browser is a failure)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit was not healthy after {STARTUP_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def _inherited_env() -> dict[str, str]:
    """This process's environment without the sign-in settings: a test says which it wants."""
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
    """`streamlit run app/streamlit_app.py` on the snapshot in `serving`; yields its URL.

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
    """A Playwright browser on Debian's Chromium; each test opens its own pages from it."""
    from playwright.sync_api import expect, sync_playwright

    # A first run of a page imports plotly and pandas: `expect` waits as long as any other step.
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser):
    """A tab with its own cookies (a fresh visitor), the viewport the screenshots use."""
    tab = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    tab.set_default_timeout(STEP_TIMEOUT_MS)
    return tab


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket listens on at `port` (IPv4 and IPv6), from /proc."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    addresses.add(_address(address, width))
    return addresses


def _address(hex_address: str, width: int) -> str:
    raw = bytes.fromhex(hex_address)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 stores each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)
