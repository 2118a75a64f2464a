"""The dashboard in a real browser: `streamlit run` on the fixture snapshot, driven by Playwright
through Debian's Chromium. Clicks through every page and a drill-down into a transcript, and
saves a full-page screenshot of each page: into the test's temporary directory, or into
docs/screenshots/ (which the README shows) with JOURNEYS_UPDATE_SCREENSHOTS=1 (`make screenshots`),
so that a test run never leaves the checkout modified. tests/app/browser.py starts the server
and the browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import REPO, chromium, new_page, require_chromium, streamlit_server
from fixture_marts import build_fixture_snapshot

pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    serving = tmp_path_factory.mktemp("browser-serving")
    build_fixture_snapshot(serving)
    with streamlit_server(serving, tmp_path_factory.mktemp("streamlit") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("JOURNEYS_UPDATE_SCREENSHOTS") == "1":
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def page(app_url: str):
    with chromium() as browser:
        yield new_page(browser)


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
