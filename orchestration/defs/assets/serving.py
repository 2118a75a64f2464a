"""The serving snapshot the Streamlit app and routing orchestrators read."""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    JourneyMapResource,
    ServingResource,
    WarehouseResource,
)
from orchestration.evaluation_events import export_routing_signals
from orchestration.serving import (
    CURRENT_LINK,
    MARTS_SCHEMA,
    ROUTING_SIGNALS_FILE,
    publish_snapshot,
    read_routing_signals,
)

SNAPSHOT_KEY = dg.AssetKey(["serving", "snapshot"])


def build_serving_snapshot(dbt_defs: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The snapshot depends on every mart, so it is published only after a run built them
    all: when a blocking check stops a day's marts, readers keep the previous snapshot."""
    mart_keys = sorted(
        (key for defs in dbt_defs for key in defs.keys if key.path[0] == "marts"), key=lambda k: k.path
    )

    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=mart_keys,
        group_name="serving",
        pool=WAREHOUSE_POOL,
        description=f"Every {MARTS_SCHEMA}.* table as Parquet under serving/{CURRENT_LINK} (swapped "
        f"atomically), plus {ROUTING_SIGNALS_FILE} for orchestrators.",
    )
    def serving_snapshot(
        warehouse: WarehouseResource, serving: ServingResource, journey_map_file: JourneyMapResource
    ) -> dg.MaterializeResult:
        with warehouse.read_marts() as con:
            snapshot = publish_snapshot(con, serving.path, journey_map_version=journey_map_file.load().version)
        metadata = snapshot.to_metadata()
        # The signals as this snapshot published them (its own copy, which no later publish replaces).
        if (
            serving.evaluation_events_endpoint
            and snapshot.routing_signals
            and (document := read_routing_signals(snapshot.path)) is not None
        ):
            metadata["evaluation_events_exported"] = export_routing_signals(
                document["signals"], serving.evaluation_events_endpoint
            )
        return dg.MaterializeResult(metadata=metadata)

    return serving_snapshot
