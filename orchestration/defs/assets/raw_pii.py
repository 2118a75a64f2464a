"""The daily purge of the originals JOURNEYS_KEEP_RAW_PII keeps in raw.spans."""

import dagster as dg

from orchestration.defs.assets.ingest import SPANS_KEY
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.raw_pii_retention import purge_raw_pii
from orchestration.settings import Settings

RAW_PII_PURGE_KEY = dg.AssetKey(["raw", "raw_pii_purge"])


@dg.asset(
    key=RAW_PII_PURGE_KEY,
    deps=[SPANS_KEY],
    # Daily like the rest of the daily job, so each day's run purges; it purges every day's
    # expired originals, not only its partition's.
    partitions_def=daily_partitions,
    group_name="ingest",
    pool=WAREHOUSE_POOL,
    description="Removes from raw.spans the unredacted originals (JOURNEYS_KEEP_RAW_PII) older than "
    "JOURNEYS_RAW_PII_RETENTION_DAYS; says how many values it removed.",
)
def raw_pii_purge(warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    with warehouse.connect() as con:
        removed = purge_raw_pii(con, settings.raw_pii_retention_days)
    return dg.MaterializeResult(
        metadata={
            "values_removed": removed,
            "retention_days": settings.raw_pii_retention_days,
            "keep_raw_pii": settings.keep_raw_pii,
        }
    )
