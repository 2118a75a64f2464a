"""Conversation evaluators, scored per daily partition."""

from datetime import date

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
from orchestration.scoring import score_partition

EVALUATIONS_KEY = dg.AssetKey(["raw", "evaluations"])

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


def _refuse_blocked_day(con, day: date, journey_map_file: JourneyMapResource, tolerance: int) -> None:
    """A re-score job does not re-run the blocking gates on raw/conversations, so a day whose
    gates fail must be stopped here, or the marts downstream would be rebuilt on it."""
    conversations = con.execute(
        "select * exclude (turns) from raw.conversations where partition_date = ?", [day]
    ).df()
    failed = [r for r in validate_conversations(conversations, journey_map_file.load(), tolerance=tolerance) if not r.passed]
    if failed:
        raise dg.Failure(
            description=f"{day} fails its quality gates ({', '.join(r.name for r in failed)}); not scoring it.",
            metadata={r.name: r.description for r in failed},
        )


@dg.asset(
    key=EVALUATIONS_KEY,
    deps=[CONVERSATIONS_KEY],
    partitions_def=daily_partitions,
    group_name="evaluations",
    pool=WAREHOUSE_POOL,
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
    day = date.fromisoformat(context.partition_key)
    tags = context.run.tags
    engine = config.engine or tags.get(ENGINE_TAG) or evaluator.engine
    cohort_week = config.cohort_week or tags.get(COHORT_WEEK_TAG)
    segment = config.segment or tags.get(SEGMENT_TAG)
    with warehouse.connect() as con:
        _refuse_blocked_day(con, day, journey_map_file, quality_gate.tolerance)
        report = score_partition(con, day, engine=engine, cohort_week=cohort_week, segment=segment)
    context.log.info(report.summary())
    return dg.MaterializeResult(
        metadata={
            "engine": engine,
            "cohort_week": cohort_week or "all",
            "segment": segment or "all",
            **report.to_metadata(),
        }
    )
