"""Jobs: the daily pipeline and the cohort re-score."""

import warnings

import dagster as dg

from orchestration.defs.assets.evaluations import EVALUATIONS_KEY
from orchestration.settings import Settings

# Run monitoring cancels a run past this runtime. Job tags reach every run of these jobs: the
# schedule's, the sensors' and job backfills. Asset backfills launched in the UI run Dagster's
# implicit asset job and get the same value from dagster.yaml's max_runtime_seconds.
RUN_TAGS = {"dagster/max_runtime": str(Settings.from_env().max_run_seconds)}

# Deliberate: ingestion and its gates backfill one day per run (a failing gate blocks only its
# day) while the evaluators and the partitioned dbt models backfill in a single run over the
# range. A job backfill uses the smaller policy (a run per day; README says to backfill the
# assets for ranges); Dagster warns about the mix on every load.
warnings.filterwarnings("ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies")

# ingest -> quality gates -> evaluators -> dbt marts -> serving snapshot, for one day.
daily_journeys_job = dg.define_asset_job(
    name="daily_journeys",
    selection=dg.AssetSelection.all(),
    tags=RUN_TAGS,
    description="Everything for one day: ingest, quality gates, evaluators, dbt marts, serving snapshot.",
)

# Re-score and rebuild without re-ingesting, e.g. after switching the evaluator engine or
# rubric: launch over the cohort's days with ops.raw__evaluations.config set.
rescore_cohort_job = dg.define_asset_job(
    name="rescore_cohort",
    selection=dg.AssetSelection.assets(EVALUATIONS_KEY).downstream(),
    tags=RUN_TAGS,
    description="Re-run the evaluators (optionally for one cohort_week or segment, or with another "
    "engine) and rebuild the marts and serving snapshot.",
)
