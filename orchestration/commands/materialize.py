"""`journeys materialize`: the asset graph for each daily partition of a date range."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from tqdm import tqdm

from orchestration.settings import Settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from orchestration.run_lifecycle import StopOnSignal


def run_materialize(days: list[date], select: str | None = None, tags: dict[str, str] | None = None) -> bool:
    """Materialize each day and print what happened; True when all succeeded.

    Dagster is imported here, not at module level, so `journeys --help` stays fast."""
    from dagster import DagsterInstance

    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.run_lifecycle import Interrupted, StopOnSignal, recover_orphaned_runs

    settings = Settings.from_env()
    settings.export()
    ensure_dagster_home(settings)
    instance = DagsterInstance.get()
    try:
        with StopOnSignal(instance) as stopper:
            for line in recover_orphaned_runs(instance).lines():
                click.echo(line, err=True)
            return _materialize(days, select, tags, settings, instance, stopper)
    except Interrupted as stop:
        click.echo(f"\n{stop.message()}", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # A worker thread still inside native code would keep the interpreter from exiting.
        if not stop.worker_stopped:
            os._exit(stop.exit_code)
        sys.exit(stop.exit_code)


def _materialize(
    days: list[date],
    select: str | None,
    tags: dict[str, str] | None,
    settings: Settings,
    instance: DagsterInstance,
    stopper: StopOnSignal,
) -> bool:
    from orchestration.definitions import build_definitions
    from orchestration.defs.partitions import daily_partitions
    from orchestration.materialization import (
        consecutive_blocks,
        execute,
        plan_range,
        resolve_selection,
    )
    from orchestration.materialization import (
        summarize_keys as _summarize,
    )

    defs = build_definitions(settings)
    valid = set(daily_partitions.get_partition_keys())
    outside = [d.isoformat() for d in days if d.isoformat() not in valid]
    if outside:
        first, last = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
        raise click.UsageError(
            f"{outside[0]} is not a daily partition: partitions run from {first} "
            f"(JOURNEYS_PARTITIONS_START) to {last} (yesterday, UTC)."
        )
    try:
        plan = plan_range(defs, resolve_selection(defs, select))
    except Exception as exc:  # Dagster raises several types for a bad selection string
        raise click.UsageError(f"--select: {exc}") from exc

    job = defs.resolve_job_def("daily_journeys")
    log_path = settings.data_dir / "logs" / f"materialize-{days[0]}-{days[-1]}.log"
    log_path.unlink(missing_ok=True)
    failures = []

    def run(label: str, keys, write=click.echo, **kwargs):
        outcome = execute(job, instance, label, keys, tags=tags, log_path=log_path, stopper=stopper, **kwargs)
        write(outcome.line())
        if not outcome.success:
            write(outcome.explain())
            failures.append(outcome)
        return outcome

    if plan.before and not run("journey map and other inputs", plan.before).success:
        return _report(failures, days, log_path, instance)
    good_days = list(days)
    if plan.per_day:
        good_days = []
        with tqdm(days, unit="day", desc="daily runs", file=sys.stderr) as bar:
            for day in bar:
                if run(day.isoformat(), plan.per_day, write=bar.write, partition_key=day.isoformat()).success:
                    good_days.append(day)
                elif plan.per_range:
                    bar.write(f"  {day} is left out of: {_summarize(plan.per_range)}")
    for first, last in consecutive_blocks(good_days) if plan.per_range else []:
        if not run(f"evaluators and dbt models {first}..{last}", plan.per_range, partition_range=(first, last)).success:
            good_days = [d for d in good_days if not first <= d <= last]
    if plan.after:
        if good_days or not (plan.per_day or plan.per_range):
            run("cohort marts and serving snapshot", plan.after)
        else:
            click.echo("No day succeeded: the marts and the published snapshot were left as they were.", err=True)
    return _report(failures, days, log_path, instance)


def _report(failures: list, days: list[date], log_path: Path, instance) -> bool:
    if failures:
        click.echo(
            f"\n{len(failures)} run(s) failed: {', '.join(o.label for o in failures)}. A day whose quality "
            "gate failed is left out of the marts; the last good snapshot stays published.\n"
            f"dbt and step output: {log_path}; run details: the Dagster UI (DAGSTER_HOME={instance.root_directory}).",
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
