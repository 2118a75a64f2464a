"""Non-blocking (WARN) checks on the closed-loop marts: a threshold breach, a net-negative
change or journey-map drift is news for the team, not a reason to stop publishing."""

from dataclasses import dataclass

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource

# The numbers shown for each breach; the full rows stay in the mart.
ROWS_SHOWN = 20


@dataclass(frozen=True)
class _Watch:
    asset: dg.AssetKey
    check: str
    description: str
    breaches_sql: str


_WATCHES = (
    _Watch(
        dg.AssetKey(["marts", "routing_signals"]),
        "stages_meet_journey_map_thresholds",
        "Warns when any stage x cohort (or channel) falls below its journey-map threshold over the "
        "routing window; each breach is a routing recommendation.",
        """select journey_name, stage, cohort_week, coalesce(segment, '') as segment,
                  coalesce(channel, '') as channel, recommendation, metric,
                  round(observed_value, 3) as observed_value, round(threshold, 3) as threshold,
                  conversations, severity
           from marts.routing_signals
           order by severity desc, conversations desc""",
    ),
    _Watch(
        dg.AssetKey(["marts", "journey_guard"]),
        "no_net_negative_change",
        "Warns when a stage improved over the last 7 days while the next stage's completion or "
        "retention fell: a local fix that hurts the journey.",
        """select journey_name, stage, next_stage, round(completion_change, 3) as completion_change,
                  round(next_stage_completion_change, 3) as next_stage_completion_change,
                  round(next_stage_retention_change, 3) as next_stage_retention_change, explanation
           from marts.journey_guard
           where is_net_negative
           order by journey_name, stage_order""",
    ),
    _Watch(
        dg.AssetKey(["marts", "journey_map_drift"]),
        "journey_map_covers_observed_paths",
        "Warns when customers take stage transitions or channels the journey map does not declare.",
        """select journey_name, drift_type, observed, observations, journeys, description
           from marts.journey_map_drift
           order by observations desc""",
    ),
)


def _table(cursor) -> tuple[int, dg.TableMetadataValue | None]:
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return 0, None
    records = [dg.TableRecord(dict(zip(columns, row))) for row in rows[:ROWS_SHOWN]]
    return len(rows), dg.MetadataValue.table(records, schema=dg.TableSchema([dg.TableColumn(c) for c in columns]))


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(w.check, asset=w.asset, description=w.description) for w in _WATCHES],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def closed_loop_watches(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    selected = context.selected_asset_check_keys
    with warehouse.read_marts() as con:
        for watch in _WATCHES:
            if dg.AssetCheckKey(watch.asset, watch.check) not in selected:
                continue
            count, table = _table(con.execute(watch.breaches_sql))
            metadata = {"breaches": count}
            if table is not None:
                metadata["details"] = table
            yield dg.AssetCheckResult(
                asset_key=watch.asset,
                check_name=watch.check,
                passed=count == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata=metadata,
            )
