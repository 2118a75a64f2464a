"""The dashboard in a real browser: `streamlit run` on the fixture snapshot, driven by Playwright
through Debian's Chromium. Clicks through every page and a drill-down into a transcript, and
saves a full-page screenshot of each page: into the test's temporary directory, or into
docs/screenshots/ (which the README shows) with JOURNEYS_UPDATE_SCREENSHOTS=1 (`make screenshots`),
so that a test run never leaves the checkout modified.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it): Playwright
cannot download its own browser here, and this test installs nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_marts import build_fixture_snapshot

pytestmark = pytest.mark.browser

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
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
STARTUP_TIMEOUT_S = 90
# Generous: the machine is shared, and a page's first run imports plotly and pandas.
STEP_TIMEOUT_MS = 60_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`) to run the browser test"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing browser is a failure)")
    pytest.skip(message)


def _free_port() -> int:
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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    serving = tmp_path_factory.mktemp("browser-serving")
    build_fixture_snapshot(serving)
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "JOURNEYS_SERVING_DIR": str(serving)}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "streamlit_app.py"),
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
                "--client.toolbarMode", "viewer",
            ],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
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


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("JOURNEYS_UPDATE_SCREENSHOTS") == "1":
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def page(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 1000})
            tab.set_default_timeout(STEP_TIMEOUT_MS)
            yield tab
        finally:
            browser.close()


MAIN_HEIGHT = "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"


def _settle(page) -> None:
    """Wait until the script run has finished, every plotly chart has drawn and the page has
    stopped growing (elements stream in while the script runs)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && Array.from(document.querySelectorAll('.stPlotlyChart'))"
        "      .every(c => c.querySelector('.main-svg'))"
    )
    heights = [page.evaluate(MAIN_HEIGHT)]
    while len(heights) < 3 or len(set(heights[-3:])) > 1:
        page.wait_for_timeout(500)
        heights.append(page.evaluate(MAIN_HEIGHT))


def _screenshot(page, directory: Path, name: str) -> None:
    """A full-page screenshot: Streamlit scrolls inside its main container, not the document,
    so the viewport is stretched to the container's content height first."""
    _settle(page)
    height = page.evaluate(MAIN_HEIGHT)
    page.set_viewport_size({"width": 1440, "height": min(int(height), 12_000)})
    _settle(page)
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def _open_from_sidebar(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def test_every_page_renders_and_a_drilldown_opens_a_transcript(page, app_url: str, screenshots: Path):
    from playwright.sync_api import expect

    page.goto(app_url)
    expect(page.get_by_text("Biggest drop-off: payment")).to_be_visible()
    expect(page.get_by_text("Biggest drop-off: investigation")).to_be_visible()
    expect(page.get_by_role("heading", name="Friction ranking")).to_be_visible()
    _screenshot(page, screenshots, "overview")

    _open_from_sidebar(page, "Stages")
    expect(page.get_by_role("heading", name="Hand-off retention between stages")).to_be_visible()
    expect(page.get_by_text("Eval-fail rate by stage").first).to_be_visible()
    _screenshot(page, screenshots, "stages")

    _open_from_sidebar(page, "Channel mix")
    expect(page.get_by_role("heading", name="Observed paths vs the intended path")).to_be_visible()
    expect(page.get_by_text("Off-path moves").first).to_be_visible()
    _screenshot(page, screenshots, "channel_mix")

    _open_from_sidebar(page, "Compliance")
    expect(page.get_by_text("PII left unredacted")).to_be_visible()
    _screenshot(page, screenshots, "compliance")

    _open_from_sidebar(page, "Routing signals")
    expect(page.get_by_text("What orchestrators poll")).to_be_visible()
    _screenshot(page, screenshots, "routing")

    # Drill down: from the biggest drop-off's number to the conversations behind it.
    _open_from_sidebar(page, "Overview")
    page.get_by_role("link", name="failing conversations at payment").click()
    page.wait_for_url("**/conversations?**")
    assert (
        "stage=payment" in page.url and "failing=1" in page.url and "journey=streaming_onboarding" in page.url
    )
    expect(page.get_by_role("heading", name="Transcript")).to_be_visible()
    expect(page.get_by_text("evidence:").first).to_be_visible()
    assert "conversation=" in page.url  # the open transcript is part of the shareable link
    _screenshot(page, screenshots, "conversations")


def test_a_shared_link_reproduces_the_filtered_view(page, app_url: str):
    from playwright.sync_api import expect

    page.goto(f"{app_url}/?journey=billing_dispute&cohort=2026-W45")
    expect(page.get_by_role("heading", name="billing_dispute")).to_be_visible()
    _settle(page)
    expect(page.get_by_role("heading", name="streaming_onboarding")).to_have_count(0)
    assert "journey=billing_dispute" in page.url and "cohort=2026-W45" in page.url
    # Moving to another page keeps the filters, in the sidebar and in the URL.
    _open_from_sidebar(page, "Stages")
    expect(page.get_by_role("heading", name="Hand-off retention between stages")).to_be_visible()
    _settle(page)
    expect(page.get_by_role("heading", name="streaming_onboarding")).to_have_count(0)
    assert "journey=billing_dispute" in page.url and "cohort=2026-W45" in page.url
