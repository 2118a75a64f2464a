"""`journeys rescore`: re-run the evaluators and the marts for one cohort, e.g. after switching
the evaluator engine or rubric version. Only that cohort's evaluation rows are replaced."""

from __future__ import annotations

import sys

import click

from orchestration.settings import Settings

EVALUATIONS_AND_DOWNSTREAM = "key:raw/evaluations+"


@click.command(name="rescore")
@click.option("--cohort-week", default=None, help="ISO week of the journeys' first conversation, e.g. 2026-W45.")
@click.option("--segment", default=None, help="Customer segment (customer.segment), e.g. premium.")
@click.option(
    "--engine",
    type=click.Choice(["local", "llm", "hybrid"]),
    default=None,
    help="Evaluator engine for this re-score (default: JOURNEYS_EVAL_ENGINE).",
)
def command(cohort_week: str | None, segment: str | None, engine: str | None) -> None:
    """Re-score one cohort (a cohort week, a segment, or both) and rebuild the marts.

    Runs the same Dagster runs a UI backfill of the `rescore_cohort` job with the tags
    journeys/cohort_week, journeys/segment and journeys/engine would."""
    from orchestration.commands.materialize import run_materialize
    from orchestration.defs.assets.evaluations import COHORT_WEEK_TAG, ENGINE_TAG, SEGMENT_TAG
    from orchestration.scoring import cohort_days
    from orchestration.warehouse import connect

    if not (cohort_week or segment):
        raise click.UsageError("name the cohort: --cohort-week, --segment, or both")
    settings = Settings.from_env()
    if not settings.warehouse.exists():
        raise click.ClickException(f"no warehouse at {settings.warehouse}: run `journeys materialize` first")
    con = connect(settings.warehouse, read_only=True)
    try:
        days = cohort_days(con, cohort_week=cohort_week, segment=segment)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        con.close()
    if not days:
        raise click.ClickException("no conversation belongs to that cohort")
    tags = {COHORT_WEEK_TAG: cohort_week, SEGMENT_TAG: segment, ENGINE_TAG: engine}
    click.echo(f"Re-scoring {len(days)} day(s) holding the cohort's conversations, {days[0]} to {days[-1]}.")
    if not run_materialize(days, EVALUATIONS_AND_DOWNSTREAM, {k: v for k, v in tags.items() if v}):
        sys.exit(1)
