"""Conversation evaluators, scored per daily partition."""

import warnings
from datetime import date
from typing import Any

import dagster as dg

from orchestration.defs.assets.ingest import CONVERSATIONS_KEY
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    EvaluatorResource,
    JourneyMapResource,
    QualityGateResource,
    WarehouseResource,
)
from orchestration.quality import validate_conversations
from orchestration.scoring import ScoringReport, judge_failure_rates, score_partition
from orchestration.settings import Settings
from orchestration.transcript_retention import remove_unrecorded_transcripts

EVALUATIONS_KEY = dg.AssetKey(["raw", "evaluations"])
JUDGE_FAILURE_CHECK = "judge_failure_rate"

# `backfill_policy` on @asset is marked beta, though dagster-dbt's own assets rely on it; the
# notice would otherwise print on every load of the code location and every CLI command.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=dg.BetaWarning)

# Run tags a backfill launched from the UI (or `journeys rescore`) sets on every run; the same
# fields in run config win over them.
COHORT_WEEK_TAG = "journeys/cohort_week"
SEGMENT_TAG = "journeys/segment"
ENGINE_TAG = "journeys/engine"


class EvaluationConfig(dg.Config):
    """Run config for re-scoring: switch the engine, or limit the run to one cohort."""

    engine: str | None = None
    cohort_week: str | None = None  # ISO week of the journey's first conversation, e.g. 2026-W45
    segment: str | None = None  # customer.segment


def _refuse_blocked_days(
    warehouse: WarehouseResource, days: list[date], journey_map_file: JourneyMapResource, tolerance: int
) -> None:
    """A re-score job does not re-run the blocking gates on raw/conversations, so days whose
    gates fail must be stopped here, or the marts downstream would be rebuilt on them."""
    jmap = journey_map_file.load()
    blocked: dict[str, str] = {}
    for day in days:
        conversations = warehouse.day_conversations(day)
        failed = [r.name for r in validate_conversations(conversations, jmap, tolerance=tolerance) if not r.passed]
        if failed:
            blocked[day.isoformat()] = ", ".join(failed)
    if blocked:
        raise dg.Failure(
            description=f"{len(blocked)} day(s) fail their quality gates and were not scored: "
            f"{', '.join(blocked)}. Fix or leave out those days and run again.",
            metadata=blocked,
        )


def _metadata(reports: list[ScoringReport]) -> dict[str, Any]:
    """One day: its report. A range (single-run backfill): the range's figures, which Dagster
    shows on each of its days, and each day's own line to read a single day from."""
    if len(reports) == 1:
        return reports[0].to_metadata()
    return {
        **ScoringReport.combined(reports).to_metadata(),
        "days": len(reports),
        "per_day": dg.MetadataValue.md("\n\n".join(f"```\n{r.summary()}\n```" for r in reports)),
    }


def judge_failure_check(reports: list[ScoringReport], max_rate: float) -> dg.AssetCheckResult:
    """Blocking: a judge outage must stop the marts, not pass for judged results (in `hybrid` a
    failed call silently keeps the local verdict; in `llm` it is a `failed` row)."""
    rates = judge_failure_rates(reports)
    over = [day for day, rate in rates.items() if rate > max_rate + 1e-9]
    return dg.AssetCheckResult(
        check_name=JUDGE_FAILURE_CHECK,
        asset_key=EVALUATIONS_KEY,
        passed=not over,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "judge failures above "
            f"{max_rate:.1%} of its calls on {', '.join(f'{day} ({rates[day]:.1%})' for day in over)}"
            if over
            else f"judge failures at most {max_rate:.1%} of its calls on every day"
        ),
        metadata={"max_judge_failure_rate": max_rate, "days_over": over, **rates},
    )


@dg.asset(
    key=EVALUATIONS_KEY,
    deps=[CONVERSATIONS_KEY],
    partitions_def=daily_partitions,
    # One run can score a range of days: a cohort re-score launched over weeks is one run.
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="evaluations",
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            JUDGE_FAILURE_CHECK,
            asset=EVALUATIONS_KEY,
            blocking=True,
            description="Fails when on any day of the run the LLM judge's failed calls exceed "
            "JOURNEYS_MAX_JUDGE_FAILURE_RATE (default 0.05) of its calls; each day's share is in "
            "the metadata.",
        )
    ],
    description=(
        "One row per conversation and evaluator: ConversationResolution, "
        "CustomerAgentConversationQuality, CustomerAgentContextRetention."
    ),
)
def evaluations(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    warehouse: WarehouseResource,
    evaluator: EvaluatorResource,
    journey_map_file: JourneyMapResource,
    quality_gate: QualityGateResource,
) -> dg.MaterializeResult:
    days = [date.fromisoformat(key) for key in context.partition_keys]
    tags = context.run.tags
    engine = config.engine or tags.get(ENGINE_TAG) or evaluator.engine
    cohort_week = config.cohort_week or tags.get(COHORT_WEEK_TAG)
    segment = config.segment or tags.get(SEGMENT_TAG)
    _refuse_blocked_days(warehouse, days, journey_map_file, quality_gate.tolerance)
    with warehouse.connect() as con:
        reports = [
            score_partition(
                con,
                day,
                engine=engine,
                cohort_week=cohort_week,
                segment=segment,
                judge=evaluator.judge_config(engine),
            )
            for day in days
        ]
        # The day is evaluated: transcripts recording consent does not allow to keep go now.
        removed = sum(remove_unrecorded_transcripts(con, day) for day in days)
    for report in reports:
        context.log.info(report.summary())
    return dg.MaterializeResult(
        metadata={
            "engine": engine,
            "cohort_week": cohort_week or "all",
            "segment": segment or "all",
            "transcripts_removed_for_recording_consent": removed,
            **_metadata(reports),
        },
        check_results=[judge_failure_check(reports, Settings.from_env().max_judge_failure_rate)],
    )
