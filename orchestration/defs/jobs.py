"""Jobs: the daily pipeline and the cohort re-score."""

import warnings

import dagster as dg

from orchestration.defs.assets.evaluations import EVALUATIONS_KEY

# Deliberate: ingestion and its gates backfill one day per run (a failing gate blocks only its
# day) while the evaluators and the partitioned dbt models backfill in a single run over the
# range. A job backfill uses the smaller policy (a run per day; README says to backfill the
# assets for ranges); Dagster warns about the mix on every load.
warnings.filterwarnings("ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies")

# ingest -> quality gates -> evaluators -> dbt marts -> serving snapshot, for one day.
daily_journeys_job = dg.define_asset_job(
    name="daily_journeys",
    selection=dg.AssetSelection.all(),
    description="Everything for one day: ingest, quality gates, evaluators, dbt marts, serving snapshot.",
)

# Re-score and rebuild without re-ingesting, e.g. after switching the evaluator engine or
# rubric: launch over the cohort's days with ops.raw__evaluations.config set.
rescore_cohort_job = dg.define_asset_job(
    name="rescore_cohort",
    selection=dg.AssetSelection.assets(EVALUATIONS_KEY).downstream(),
    description="Re-run the evaluators (optionally for one cohort_week or segment, or with another "
    "engine) and rebuild the marts and serving snapshot.",
)
