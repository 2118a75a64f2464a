"""Blocking quality gates on each day's conversations (Great Expectations 1.x, run directly
because dagster-ge only supports GX < 1.0). A failing gate stops the partition's
evaluations, marts and serving snapshot in the same run; other days still build."""

from datetime import date

import dagster as dg

from orchestration.defs.assets.ingest import CONVERSATIONS_KEY
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    JourneyMapResource,
    QualityGateResource,
    WarehouseResource,
)
from orchestration.quality import GATE_DESCRIPTIONS, validate_conversations

_GATE_SPECS = [
    dg.AssetCheckSpec(name=name, asset=CONVERSATIONS_KEY, blocking=True, description=f"Fails on {description}.")
    for name, description in GATE_DESCRIPTIONS.items()
]


@dg.multi_asset_check(specs=_GATE_SPECS, pool=WAREHOUSE_POOL, can_subset=True)
def conversation_quality_gates(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    journey_map_file: JourneyMapResource,
    quality_gate: QualityGateResource,
):
    day = date.fromisoformat(context.partition_key)
    conversations = warehouse.day_conversations(day)
    results = validate_conversations(conversations, journey_map_file.load(), tolerance=quality_gate.tolerance)
    selected = {key.name for key in context.selected_asset_check_keys}
    for result in results:
        if result.name in selected:
            yield dg.AssetCheckResult(
                check_name=result.name,
                asset_key=CONVERSATIONS_KEY,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"{day}: {result.description}",
                # Checks on a partitioned asset show no partition column in the UI; say the day.
                metadata={"partition": day.isoformat(), **result.to_metadata()},
            )
