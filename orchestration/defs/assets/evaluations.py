"""Conversation evaluators, scored per daily partition."""

from datetime import date

import dagster as dg

from orchestration.defs.assets.ingest import CONVERSATIONS_KEY
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WAREHOUSE_POOL, EvaluatorResource, WarehouseResource
from orchestration.scoring import score_partition

EVALUATIONS_KEY = dg.AssetKey(["raw", "evaluations"])


class EvaluationConfig(dg.Config):
    """Run config for re-scoring: switch the engine, or limit the run to one cohort."""

    engine: str | None = None
    cohort_week: str | None = None  # ISO week of the journey's first conversation, e.g. 2026-W45
    segment: str | None = None  # customer.segment


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
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    engine = config.engine or evaluator.engine
    with warehouse.connect() as con:
        report = score_partition(
            con, day, engine=engine, cohort_week=config.cohort_week, segment=config.segment
        )
    context.log.info(report.summary())
    return dg.MaterializeResult(
        metadata={"engine": engine, "cohort_week": config.cohort_week or "all", **report.to_metadata()}
    )
