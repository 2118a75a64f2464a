"""`journeys materialize`: the asset graph for each daily partition of a date range."""

from __future__ import annotations

import sys
from datetime import date

import click
from tqdm import tqdm

from orchestration.settings import Settings


def run_materialize(days: list[date], select: str | None = None, tags: dict[str, str] | None = None) -> bool:
    """Materialize each day and print what happened; True when all succeeded.

    Dagster is imported here, not at module level, so `journeys --help` stays fast."""
    from dagster import DagsterInstance

    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.materialization import materialize_day, resolve_selection

    settings = Settings.from_env()
    settings.export()
    ensure_dagster_home(settings)
    from orchestration.definitions import defs
    from orchestration.defs.partitions import daily_partitions

    valid = set(daily_partitions.get_partition_keys())
    outside = [d.isoformat() for d in days if d.isoformat() not in valid]
    if outside:
        first, last = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
        raise click.UsageError(
            f"{outside[0]} is not a daily partition: partitions run from {first} "
            f"(JOURNEYS_PARTITIONS_START) to {last} (yesterday, UTC)."
        )
    try:
        selection = resolve_selection(defs, select)
    except Exception as exc:  # Dagster raises several types for a bad selection string
        raise click.UsageError(f"--select: {exc}") from exc

    job = defs.resolve_job_def("daily_journeys")
    instance = DagsterInstance.get()
    failed = []
    with tqdm(days, unit="day", desc="materialize", file=sys.stderr) as bar:
        for day in bar:
            bar.set_postfix_str(day.isoformat())
            outcome = materialize_day(job, instance, day, selection, tags)
            counts = (
                f"{outcome.conversations} conversations, {outcome.quarantined} quarantined"
                if outcome.conversations is not None
                else ""
            )
            status = "ok" if outcome.success else "FAILED"
            bar.write(f"{outcome.day}  {status:6}  {outcome.seconds:5.1f}s  {counts}  run {outcome.run_id[:8]}")
            if not outcome.success:
                bar.write(outcome.explain())
                failed.append(outcome)
    if failed:
        click.echo(
            f"\n{len(failed)} of {len(days)} day(s) failed: {', '.join(o.day for o in failed)}. "
            "Their marts were not rebuilt; the published snapshot is unchanged for them. "
            f"Run details: the Dagster UI (DAGSTER_HOME={instance.root_directory}).",
            err=True,
        )
        return False
    click.echo(f"\nMaterialized {len(days)} day(s) from {days[0]} to {days[-1]}.")
    return True


@click.command(name="materialize")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (UTC), YYYY-MM-DD.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day (UTC), included.")
@click.option(
    "--select",
    default=None,
    help="Dagster asset selection, e.g. 'key:raw/*' or 'group:marts+'. Default: the whole graph.",
)
def command(start, end, select: str | None) -> None:
    """Materialize the asset graph for each daily partition from --start to --end (one Dagster
    run per day, recorded in the shared DAGSTER_HOME so the UI shows them)."""
    from orchestration.materialization import days_between

    try:
        days = days_between(start.date(), end.date())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if not run_materialize(days, select):
        sys.exit(1)
