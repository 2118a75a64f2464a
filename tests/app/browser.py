"""What the browser tests share: `streamlit run` as a real server and Debian's Chromium, from
app/local_server.py (the render benchmark uses them too), with the tests' own timeouts and skips.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app import local_server
from app.local_server import CHROMIUM, REPO, free_port, streamlit_server

__all__ = [
    "REPO",
    "chromium",
    "free_port",
    "listening_addresses",
    "new_page",
    "require_chromium",
    "streamlit_server",
]

# Generous: the machine is shared, and a page's first run imports plotly and pandas.
STEP_TIMEOUT_MS = 60_000


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`) to run the browser test"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing browser is a failure)")
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator:
    """A Playwright browser on Debian's Chromium; each test opens its own pages from it."""
    from playwright.sync_api import expect

    # A first run of a page imports plotly and pandas: `expect` waits as long as any other step.
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with local_server.chromium() as browser:
        yield browser


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
