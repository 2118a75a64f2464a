"""The journey map YAML, loaded into the warehouse so dbt can join stage order and thresholds."""

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, JourneyMapResource, WarehouseResource
from orchestration.raw_tables import JOURNEY_MAP_CHANNELS, JOURNEY_MAP_STAGES
from orchestration.warehouse import replace_rows

STAGES_KEY = dg.AssetKey(["raw", "journey_map_stages"])
CHANNELS_KEY = dg.AssetKey(["raw", "journey_map_channels"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(STAGES_KEY, description="Each journey's intended stages, their order and thresholds."),
        dg.AssetSpec(CHANNELS_KEY, description="The channels each journey may use."),
    ],
    group_name="ingest",
    pool=WAREHOUSE_POOL,
)
def journey_map(warehouse: WarehouseResource, journey_map_file: JourneyMapResource):
    """Load `journey_map.yaml` (JOURNEYS_JOURNEY_MAP) into raw.journey_map_stages/channels."""
    jmap = journey_map_file.load()
    stage_rows, channel_rows = jmap.stage_rows(), jmap.channel_rows()
    with warehouse.connect() as con:
        # The map is small and versioned as a whole, so each load replaces it entirely.
        replace_rows(con, JOURNEY_MAP_STAGES.name, JOURNEY_MAP_STAGES.rows(stage_rows))
        replace_rows(con, JOURNEY_MAP_CHANNELS.name, JOURNEY_MAP_CHANNELS.rows(channel_rows))
    yield dg.MaterializeResult(
        asset_key=STAGES_KEY,
        metadata={
            "journey_map_version": jmap.version,
            "journeys": len(jmap.journeys),
            "dagster/row_count": len(stage_rows),
            "source": journey_map_file.path,
        },
    )
    yield dg.MaterializeResult(asset_key=CHANNELS_KEY, metadata={"dagster/row_count": len(channel_rows)})
