"""Dashboard rendering in Chromium: every page, cold (target 5 s) and warm (target 2 s).

    .venv/bin/python benchmarks/bench_render.py [--serving DIR] [--spans-per-day 100000] [--days 30]
                                                [--warm 5] [--quick] [--json PATH]

Serves a published snapshot (by default the one bench_app.py reads) with a real
`streamlit run app/streamlit_app.py` on a free loopback port and loads each page of the app's
navigation in Debian's headless Chromium through Playwright (app/local_server.py, which the
browser tests use too).

A page counts as rendered when Streamlit has finished the script run (the app root's
`data-test-script-state` is `notRunning`), the page's title is shown and every plotly chart has
drawn its SVG. The time is taken in the page, from navigation start (`performance.now()`), so
it includes fetching the HTML and the JavaScript, the websocket, the script run and the drawing.
Each load is split into: until the script starts, the script run, and drawing after the script.

- cold: the first load of the page after the app starts. Each page gets its own fresh
  `streamlit run` process (empty `st.cache_data` and `st.cache_resource`, no page module imported
  yet) and a fresh browser context (empty HTTP cache, no cookies). The operating system's page
  cache is not dropped: that takes root and slows everything else on the machine, so the
  snapshot's files may already be in memory.
- warm: `--warm` loads of the same page afterwards, in the same browser context on the same
  server (a reader reloading the page): their median and max.

A load that does not render (the tab crashed, the page raised, or nothing within 120 s) counts
as infinitely slow (`inf`, a miss), and the reason is printed. `--quick` reads the 0.1x snapshot
and reloads 3 times. Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_app import add_snapshot_arguments, serving_from_arguments
from figures import Figure, command_line, print_figures, write_figures

from app.local_server import chromium, streamlit_server

COLD_TARGET_S = 5.0
WARM_TARGET_S = 2.0
LOAD_TIMEOUT_MS = 120_000
RERUN_GRACE_MS = 500
VIEWPORT = {"width": 1440, "height": 1000}

# Installed in every document before its own scripts: records, on the page's clock, when the script
# run starts and ends (a MutationObserver sees every change of the app root's state) and, on each
# animation frame after that, whether the page is drawn. TITLE is the page's expected title, or
# null to accept any (the first page, before the navigation has been read).
_MARKS_SCRIPT = """
(() => {
  const TITLE = %s;
  const marks = (window.__renderMarks = {runs: 0});
  const stateOf = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state');
  };
  // A record's oldValue is the state before the change; the state after it is the next record's
  // oldValue (or the current state): a run that starts and ends in one batch is still seen.
  new MutationObserver((records) => {
    const states = [...records.slice(1).map((r) => r.oldValue), stateOf()];
    for (const state of states) {
      if (state === 'running' && !marks.running) {
        marks.running = true;
        marks.runs += 1;
        if (marks.scriptStarted === undefined) marks.scriptStarted = performance.now();
      } else if (state === 'notRunning' && marks.running) {
        marks.running = false;
        marks.scriptFinished = performance.now();
      }
    }
  }).observe(document, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
  });
  const drawn = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return false;
    const titles = Array.from(main.querySelectorAll('h1')).map((h) => h.textContent.trim());
    marks.title = titles.find((t) => (TITLE === null ? t.length > 0 : t.startsWith(TITLE)));
    if (marks.title === undefined) return false;
    // An element whose code is still loading shows a skeleton; a plotly chart has drawn once it
    // has its SVG; a table the reader can see (not in a closed expander) once it has its canvas.
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    const charts = Array.from(document.querySelectorAll('.stPlotlyChart'));
    if (!charts.every((c) => c.querySelector('.main-svg'))) return false;
    const tables = Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).filter((t) =>
      t.checkVisibility(),
    );
    if (!tables.every((t) => t.querySelector('canvas'))) return false;
    marks.charts = charts.length;
    marks.tables = tables.length;
    return true;
  };
  const frame = () => {
    const failure = document.querySelector('[data-testid="stException"]');
    if (failure) {
      marks.error = failure.textContent.slice(0, 500);
      return;
    }
    if (marks.scriptFinished !== undefined && marks.running === false && drawn()) {
      marks.rendered = performance.now();
      return;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
"""

# The navigation's pages as the sidebar lists them: label (without the icon's ligature) and path.
_NAVIGATION_SCRIPT = """
() => Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] a')).map((a) => {
  const label = a.cloneNode(true);
  label.querySelectorAll('[data-testid="stIconMaterial"]').forEach((icon) => icon.remove());
  return [label.textContent.trim(), new URL(a.href).pathname];
})
"""


@dataclass(frozen=True)
class Load:
    """One page load, in seconds from navigation start."""

    script_started: float
    script_finished: float
    rendered: float
    runs: int  # script runs the load took (1 unless the page reruns itself)
    title: str  # the page's title as shown
    charts: int  # plotly charts drawn
    tables: int  # tables drawn where the reader sees them
    error: str = ""  # why the page was not rendered, when it was not

    @classmethod
    def not_rendered(cls, error: str) -> Load:
        """A load that never rendered: infinitely slow, so that every target reads it as missed."""
        return cls(math.nan, math.nan, math.inf, runs=0, title="", charts=0, tables=0, error=error)

    @property
    def before_script(self) -> float:
        return self.script_started

    @property
    def script(self) -> float:
        return self.script_finished - self.script_started

    @property
    def drawing(self) -> float:
        return self.rendered - self.script_finished


@dataclass(frozen=True)
class PageRender:
    title: str
    path: str
    cold: Load
    warm: list[Load]

    @property
    def warm_seconds(self) -> list[float]:
        return [load.rendered for load in self.warm]


def _load(tab, url: str) -> Load:
    from playwright.sync_api import Error as PlaywrightError

    started = time.monotonic()
    try:
        tab.goto(url, wait_until="commit")
        tab.wait_for_function(
            "() => window.__renderMarks && (window.__renderMarks.rendered !== undefined"
            " || window.__renderMarks.error !== undefined)",
            timeout=LOAD_TIMEOUT_MS,
        )
        marks = tab.evaluate("window.__renderMarks")
        # A page that reruns itself right after its first run is not rendered yet: count such runs.
        tab.wait_for_timeout(RERUN_GRACE_MS)
        runs = tab.evaluate("window.__renderMarks.runs")
    except PlaywrightError as exc:  # the tab crashed, or the page did not render in LOAD_TIMEOUT_MS
        reason = str(exc).splitlines()[0]
        return Load.not_rendered(f"{reason} ({time.monotonic() - started:.1f} s after navigating)")
    if "error" in marks:
        return Load.not_rendered(f"the page raised an exception: {marks['error']}")
    seconds = marks["scriptStarted"] / 1000, marks["scriptFinished"] / 1000, marks["rendered"] / 1000
    return Load(*seconds, runs=runs, title=marks["title"], charts=marks["charts"], tables=marks["tables"])


def render_page(
    browser, serving: Path, log: Path, path: str, title: str | None, warm: int
) -> tuple[Load, list[Load], list[tuple[str, str]]]:
    """On a fresh server and a fresh browser context: the cold load of `path`, then `warm`
    reloads; and the tab's navigation as the sidebar lists it (read after the cold load)."""
    with streamlit_server(serving, log) as url:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            context.add_init_script(_MARKS_SCRIPT % json.dumps(title))
            tab = context.new_page()
            cold = _load(tab, url + path)
            navigation = [] if cold.error else [tuple(item) for item in tab.evaluate(_NAVIGATION_SCRIPT)]
            reloads = []
            for _ in range(warm):
                if tab.is_closed() or (reloads or [cold])[-1].error:
                    tab = context.new_page()  # a crashed tab takes no more navigations
                reloads.append(_load(tab, url + path))
        finally:
            context.close()
    return cold, reloads, navigation


def render_every_page(serving: Path, warm: int, logs: Path) -> list[PageRender]:
    """Every page of the app's navigation, each on its own fresh server: the default page first
    (which also tells the others), then the rest in the navigation's order."""
    pages = []
    with chromium() as browser:
        cold, reloads, navigation = render_page(browser, serving, logs / "streamlit-0.log", "/", None, warm)
        default = next(((title, path) for title, path in navigation if path == "/"), None)
        if cold.error:
            raise RuntimeError(
                f"the default page was not rendered, so its navigation is unknown: {cold.error}"
            )
        if default is None or not cold.title.startswith(default[0]):
            raise RuntimeError(f"/ showed {cold.title!r}; the sidebar navigation: {navigation}")
        pages.append(PageRender(default[0], "/", cold, reloads))
        print(f"  {default[0]}: cold {cold.rendered:.2f} s", file=sys.stderr, flush=True)
        for number, (title, path) in enumerate((p for p in navigation if p[1] != "/"), start=1):
            cold, reloads, _ = render_page(
                browser, serving, logs / f"streamlit-{number}.log", path, title, warm
            )
            pages.append(PageRender(title, path, cold, reloads))
            print(f"  {title}: cold {cold.rendered:.2f} s", file=sys.stderr, flush=True)
    return pages


def _verdict(seconds: float, target: float) -> str:
    return "meets" if seconds <= target else "MISSES"


def _split(loads: list[Load]) -> str:
    """The median of each part of the rendered loads: until the script starts, the script, the drawing."""
    loads = [load for load in loads if not load.error]
    if not loads:
        return "not rendered"
    parts = [
        statistics.median(getattr(load, part) for load in loads)
        for part in ("before_script", "script", "drawing")
    ]
    return " + ".join(f"{seconds:.2f}" for seconds in parts)


def print_table(pages: list[PageRender]) -> None:
    print(
        f"{'page':<16} {'charts':>6} {'tables':>6} {'cold s':>7}  vs {COLD_TARGET_S:g} s  {'warm median / max s':>20}"
        f"  vs {WARM_TARGET_S:g} s   cold split          warm split"
    )
    for page in pages:
        median, most = statistics.median(page.warm_seconds), max(page.warm_seconds)
        print(
            f"{page.title:<16} {page.cold.charts:>6} {page.cold.tables:>6} {page.cold.rendered:>7.2f}  "
            f"{_verdict(page.cold.rendered, COLD_TARGET_S):<8}"
            f"  {median:>11.2f} / {most:<6.2f}  {_verdict(median, WARM_TARGET_S):<8}"
            f"  {_split([page.cold]):<18}  {_split(page.warm)}"
        )
    print(
        "split: seconds until the script run starts (HTML, JavaScript, websocket) + the script run + "
        "drawing after the script (charts); warm: medians"
    )
    for page in pages:
        for kind, load in [("cold", page.cold), *(("warm", load) for load in page.warm)]:
            if load.error:
                print(f"{page.title}, {kind} load: NOT RENDERED: {load.error}")
    reruns = [p.title for p in pages if p.cold.runs > 1 or any(load.runs > 1 for load in p.warm)]
    if reruns:
        print(f"pages that ran their script more than once in a load: {', '.join(reruns)}")


def _failures(loads: list[Load]) -> str:
    failed = [load.error for load in loads if load.error]
    return f"; NOT RENDERED in {len(failed)} of {len(loads)} loads (inf): {failed[0]}" if failed else ""


def figures_of(pages: list[PageRender], serving: Path) -> list[Figure]:
    figures = []
    for page in pages:
        figures.append(
            Figure(
                f"page {page.title}: rendered in Chromium, cold",
                "s",
                [round(page.cold.rendered, 3)],
                target=f"<= {COLD_TARGET_S:g}",
                note=f"first load on a fresh `streamlit run` over {serving}; until the script starts + script + "
                f"drawing: {_split([page.cold])} s{_failures([page.cold])}",
            )
        )
        figures.append(
            Figure(
                f"page {page.title}: rendered in Chromium, warm",
                "s",
                [round(s, 3) for s in page.warm_seconds],
                target=f"<= {WARM_TARGET_S:g}",
                note=f"{len(page.warm)} reloads after the cold load, max {max(page.warm_seconds):.2f} s; "
                f"until the script starts + script + drawing (medians): {_split(page.warm)} s{_failures(page.warm)}",
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_snapshot_arguments(parser)
    parser.add_argument("--warm", type=int, help="reloads after the cold load (default 5, 3 with --quick)")
    args = parser.parse_args()
    serving = serving_from_arguments(args)
    warm = args.warm or (3 if args.quick else 5)
    print(f"$ {command_line()}")
    with tempfile.TemporaryDirectory(prefix="bench-render-") as logs:
        pages = render_every_page(serving, warm, Path(logs))
    print(f"snapshot: {serving}")
    print_table(pages)
    figures = figures_of(pages, serving)
    print_figures(figures)
    if args.json:
        write_figures(args.json, "render", figures)


if __name__ == "__main__":
    main()
