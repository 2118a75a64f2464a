"""`journeys simulate`: write simulated contact-center traffic as OTLP/JSON trace files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from orchestration.settings import Settings

DEFAULT_JOURNEYS = 600


@click.command(name="simulate")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Landing directory for the trace files.  [default: $JOURNEYS_LANDING_DIR]",
)
@click.option(
    "--journeys", default=None, type=click.IntRange(min=1),
    help=f"Journeys to simulate.  [default: {DEFAULT_JOURNEYS}]",
)
@click.option(
    "--spans-per-day", default=None, type=click.IntRange(min=1),
    help="Instead of --journeys: simulate journeys until the window holds about this many spans a day.",
)
@click.option(
    "--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="First day (UTC), YYYY-MM-DD.  [default: DAYS days ago, so the window ends yesterday]",
)
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1), help="Days in the window.")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed and options give the same bytes.")
@click.option(
    "--truth", "truth_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Where to write the ground truth JSON (outside the landing directory).  "
    "[default: simulation-truth.json beside the landing directory]",
)
@click.option(
    "--consent-once", is_flag=True,
    help="State customer.consent only at a journey's first conversation (and where it changes); later stages inherit it.",
)
def command(
    out_dir: Path | None, journeys: int | None, spans_per_day: int | None, start: datetime | None, days: int,
    seed: int, truth_path: Path | None, consent_once: bool,
):
    """Write realistic contact-center journeys (onboarding and billing disputes over chat, voice,
    email and SMS, with AI and human agents and planted friction) as OTLP/JSON trace files."""
    from orchestration.journey_map import JourneyMapError
    from orchestration.simulate import simulate
    from orchestration.simulate.scenario import DEMO_SCENARIO

    if journeys is not None and spans_per_day is not None:
        raise click.UsageError("--journeys and --spans-per-day are mutually exclusive")
    if spans_per_day is None:
        journeys = journeys or DEFAULT_JOURNEYS
    out_dir = out_dir or Settings.from_env().landing_dir
    first_day = start.date() if start else datetime.now(UTC).date() - timedelta(days=days)
    truth_path = truth_path or out_dir.resolve().parent / "simulation-truth.json"
    volume = f"{journeys:,} journeys" if journeys else f"{spans_per_day:,} spans a day"
    click.echo(f"Simulating {volume} over {days} days from {first_day} (seed {seed}) into {out_dir}")
    try:
        scenario = replace(DEMO_SCENARIO, consent_stated_once=consent_once)
        result = simulate(
            out_dir, journeys=journeys, spans_per_day=spans_per_day, start=first_day, days=days, seed=seed,
            progress=True, truth_path=truth_path, scenario=scenario,
        )
    except (ValueError, FileExistsError, JourneyMapError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.summary())
