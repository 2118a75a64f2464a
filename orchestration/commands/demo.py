"""`journeys demo` (what `make demo` runs): a month of simulated traffic, materialized, then the
Dagster UI and the Streamlit app. A second run reuses what the first one produced."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from orchestration.settings import REPO_ROOT, Settings

STATE_FILE = "demo.json"
# Simulated email threads run for up to about a day and a half (replies hours apart), so a month
# ending yesterday held conversations that end after the demo starts; ending three days back, the
# latest one ends about half a day before today.
SETTLED_DAYS = 3
STARTUP_TIMEOUT_S = 180


@dataclass(frozen=True)
class DemoWindow:
    start: str
    days: int
    journeys: int
    seed: int

    @property
    def dates(self) -> list[date]:
        first = date.fromisoformat(self.start)
        return [first + timedelta(days=i) for i in range(self.days)]


def _window(settings: Settings, days: int, journeys: int, seed: int, today: date | None = None) -> DemoWindow:
    """The demo's month, fixed at the first run so a second run (another day) reuses it. It ends
    SETTLED_DAYS before today (UTC): a conversation started on its last day must be over by now,
    or the day fails the quality gate's timestamp check for times in the future."""
    state = settings.data_dir / STATE_FILE
    if state.exists():
        return DemoWindow(**json.loads(state.read_text()))
    last = (today or datetime.now(UTC).date()) - timedelta(days=SETTLED_DAYS)
    window = DemoWindow((last - timedelta(days=days - 1)).isoformat(), days, journeys, seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(asdict(window), indent=2))
    return window


def _has_traces(landing_dir: Path) -> bool:
    return landing_dir.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in landing_dir.rglob("*"))


def _days_without_successful_run(days: list[date]) -> list[date]:
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    instance = DagsterInstance.get()
    return [
        day
        for day in days
        if not instance.get_run_records(
            RunsFilter(
                job_name="daily_journeys",
                statuses=[DagsterRunStatus.SUCCESS],
                tags={"dagster/partition": day.isoformat()},
            ),
            limit=1,
        )
    ]


def _wait_until_up(url: str, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"{name} exited with code {process.returncode} before answering at {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise click.ClickException(f"{name} did not answer at {url} within {STARTUP_TIMEOUT_S}s")


# `dagster dev` warns at every start that `dg dev` supersedes it; dg is a separate CLI this
# project does not install.
_QUIET_DEV_COMMAND = "ignore:Function `dev_command` is superseded"


def _interrupt_on_sigterm() -> None:
    """Ctrl-C (SIGINT) and a plain `kill` (SIGTERM) both stop the servers cleanly. SIGINT is
    restored explicitly because a shell that starts the demo in the background ignores it."""
    def raise_interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_interrupt)


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop each child's whole process group (dagster dev runs a webserver and a daemon)."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@click.command(name="demo")
@click.option("--days", default=30, show_default=True, help="Days of traffic to simulate (first run only).")
@click.option("--journeys", default=600, show_default=True, help="Journeys to simulate (first run only).")
@click.option("--seed", default=7, show_default=True, help="Simulator seed (first run only).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the UIs listen on.")
@click.option("--dagster-port", default=3000, show_default=True)
@click.option("--streamlit-port", default=8501, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the data, then exit without starting the UIs.")
def command(days: int, journeys: int, seed: int, host: str, dagster_port: int, streamlit_port: int, no_serve: bool):
    """Simulate a month of contact-center traffic, materialize it, and serve the UIs."""
    from orchestration.commands.materialize import run_materialize
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.simulate import simulate

    settings = Settings.from_env()
    window = _window(settings, days, journeys, seed)
    # Partitions start where the demo's traffic does, unless the user chose otherwise.
    os.environ.setdefault("JOURNEYS_PARTITIONS_START", window.start)
    settings = Settings.from_env()
    settings.export()
    home = ensure_dagster_home(settings)

    if _has_traces(settings.landing_dir):
        click.echo(f"Reusing the traces in {settings.landing_dir}")
    else:
        click.echo(f"Simulating {window.journeys} journeys over {window.days} days from {window.start} ...")
        result = simulate(
            settings.landing_dir,
            journeys=window.journeys,
            start=date.fromisoformat(window.start),
            days=window.days,
            seed=window.seed,
            progress=True,
        )
        click.echo(result.summary())

    todo = _days_without_successful_run(window.dates)
    if todo:
        click.echo(f"Materializing {len(todo)} day(s) through Dagster (DAGSTER_HOME={home}) ...")
        if not run_materialize(todo, tags={"journeys/trigger": "demo"}):
            click.echo("Some days failed (see above); starting the UIs anyway so you can inspect them.", err=True)
    else:
        click.echo("Every demo day already has a successful run; reusing the warehouse and snapshot.")
    if no_serve:
        return

    _interrupt_on_sigterm()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    dagster_url = f"http://{host}:{dagster_port}"
    streamlit_url = f"http://{host}:{streamlit_port}"
    bin_dir = Path(sys.executable).parent
    processes = [
        subprocess.Popen(
            # The daemon logs every sensor tick at INFO, every 30 s; the UI shows them all anyway.
            [str(bin_dir / "dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
             "-h", host, "-p", str(dagster_port), "--log-level", "warning"],
            cwd=home, env={**env, "PYTHONWARNINGS": _QUIET_DEV_COMMAND}, start_new_session=True,
        ),
        subprocess.Popen(
            [str(bin_dir / "streamlit"), "run", str(REPO_ROOT / "app" / "streamlit_app.py"),
             "--server.address", host, "--server.port", str(streamlit_port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--client.toolbarMode", "viewer"],
            cwd=REPO_ROOT, env=env, start_new_session=True,
        ),
    ]
    try:
        _wait_until_up(f"{dagster_url}/server_info", processes[0], "Dagster")
        _wait_until_up(f"{streamlit_url}/_stcore/health", processes[1], "Streamlit")
        click.echo(
            f"\n  Dagster UI (assets, partitions, checks, runs; daemon running):  {dagster_url}\n"
            f"  Streamlit app (journey dashboards):                             {streamlit_url}\n\n"
            "Press Ctrl-C to stop both."
        )
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        raise click.ClickException("a server exited unexpectedly; stopping the other one")
    except KeyboardInterrupt:
        click.echo("\nStopping ...")
    finally:
        _stop(processes)
