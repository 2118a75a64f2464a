"""Trace ingestion: one day of landing files into the raw conversation tables."""

from datetime import date

import dagster as dg

from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WAREHOUSE_POOL, LandingResource, WarehouseResource
from orchestration.ingest import ingest_partition

SPANS_KEY = dg.AssetKey(["raw", "spans"])
CONVERSATIONS_KEY = dg.AssetKey(["raw", "conversations"])
JOURNEY_EVENTS_KEY = dg.AssetKey(["raw", "journey_events"])
QUARANTINE_KEY = dg.AssetKey(["raw", "ingest_quarantine"])
PII_REDACTIONS_KEY = dg.AssetKey(["raw", "pii_redactions"])
CUSTOMER_CONSENT_KEY = dg.AssetKey(["raw", "customer_consent"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(SPANS_KEY, description="Every span, every attribute kept, stored once per (trace_id, span_id)."),
        dg.AssetSpec(
            CONVERSATIONS_KEY,
            description="One row per conversation: journey attributes and the reconstructed transcript.",
        ),
        dg.AssetSpec(JOURNEY_EVENTS_KEY, description="CSAT survey answers per journey."),
        dg.AssetSpec(QUARANTINE_KEY, description="Input that could not be ingested, with the reason."),
        dg.AssetSpec(
            PII_REDACTIONS_KEY, description="Personal data redacted before storing: distinct values per conversation and type."
        ),
        dg.AssetSpec(
            CUSTOMER_CONSENT_KEY,
            description="Each conversation's effective consent (stated, inherited or default), before any evaluator runs.",
        ),
    ],
    partitions_def=daily_partitions,
    group_name="ingest",
    pool=WAREHOUSE_POOL,
)
def ingest_traces(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource):
    """Decode the landing files holding this day's conversations and replace the day's rows."""
    day = date.fromisoformat(context.partition_key)
    with warehouse.connect() as con:
        report = ingest_partition(con, landing.path, day)
    context.log.info(report.summary())
    metadata = report.to_metadata()
    if report.quarantined:
        context.log.warning(f"{report.quarantined} input item(s) quarantined for {day}: see raw.ingest_quarantine")
    yield dg.MaterializeResult(asset_key=SPANS_KEY, metadata={"dagster/row_count": report.spans})
    yield dg.MaterializeResult(asset_key=CONVERSATIONS_KEY, metadata=metadata)
    yield dg.MaterializeResult(asset_key=JOURNEY_EVENTS_KEY, metadata={"dagster/row_count": report.journey_events})
    yield dg.MaterializeResult(asset_key=QUARANTINE_KEY, metadata={"dagster/row_count": report.quarantined})
    yield dg.MaterializeResult(asset_key=PII_REDACTIONS_KEY, metadata={"redacted_by_type": report.redacted_by_type})
    yield dg.MaterializeResult(asset_key=CUSTOMER_CONSENT_KEY, metadata={"dagster/row_count": report.conversations})
