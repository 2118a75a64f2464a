"""Screenshots of the Dagster UI for the README, taken from a running `make demo`.

    .venv/bin/python docs/screenshots/capture_dagster_ui.py [--launch-backfill]

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against http://127.0.0.1:3000
and writes docs/screenshots/dagster/*.png. With --launch-backfill it really launches the cohort
re-score backfill it shows, and captures the backfill's page too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
OUT = Path(__file__).parent / "dagster"
PAGES = {
    "lineage": "/asset-groups",
    "partitions": "/assets/raw/conversations?view=partitions",
    "quality_gates": "/assets/raw/conversations?view=checks",
    "automation": "/automation",
    "runs": "/runs",
}


def _open(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    page.wait_for_timeout(4000)
    skip = page.get_by_role("button", name="Skip")  # the first-visit newsletter dialog
    if skip.count():
        skip.click()
        page.wait_for_timeout(500)


def _cohort_backfill_dialog(page: Page, base: str, days: str, cohort_week: str, engine: str) -> None:
    _open(page, base, "/locations/journeys/jobs/rescore_cohort/partitions")
    page.get_by_role("button", name="Materialize…").first.click()
    page.wait_for_timeout(1500)
    box = page.get_by_role("dialog").locator("input").first
    box.click()
    box.fill(days)
    box.press("Enter")
    page.get_by_text("Tags", exact=True).click()
    page.get_by_role("button", name="Add tags").click()
    page.get_by_placeholder("Tag Key").last.fill("journeys/cohort_week")
    page.get_by_placeholder("Tag Value").last.fill(cohort_week)
    page.get_by_role("button", name="Add custom tag").click()
    page.get_by_placeholder("Tag Key").last.fill("journeys/engine")
    page.get_by_placeholder("Tag Value").last.fill(engine)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_timeout(1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:3000")
    parser.add_argument("--days", default="[2026-11-02...2026-11-24]")
    parser.add_argument("--cohort-week", default="2026-W45")
    parser.add_argument("--engine", default="local")
    parser.add_argument("--launch-backfill", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for name, path in PAGES.items():
            _open(page, args.base, path)
            page.screenshot(path=OUT / f"{name}.png")
        page.set_viewport_size({"width": 1600, "height": 1150})
        _cohort_backfill_dialog(page, args.base, args.days, args.cohort_week, args.engine)
        page.screenshot(path=OUT / "cohort_backfill.png")
        if args.launch_backfill:
            page.get_by_role("button", name="Launch backfill").click()
            page.wait_for_timeout(3000)
            _open(page, args.base, "/runs?tab=backfills")
            page.screenshot(path=OUT / "backfills.png")
        browser.close()
    print(f"wrote {sorted(p.name for p in OUT.glob('*.png'))} to {OUT}")


if __name__ == "__main__":
    main()
