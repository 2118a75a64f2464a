"""The Dagster code location (`workspace.yaml` loads `defs` from here)."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.assets.dbt import DBT_EXECUTABLE, build_dbt_assets, dbt_project
from orchestration.defs.assets.evaluations import evaluations
from orchestration.defs.assets.ingest import ingest_traces
from orchestration.defs.assets.journey_map import journey_map
from orchestration.defs.assets.serving import build_serving_snapshot
from orchestration.defs.checks import conversation_quality_gates
from orchestration.defs.jobs import daily_journeys_job, rescore_cohort_job
from orchestration.defs.resources import (
    EvaluatorResource,
    JourneyMapResource,
    LandingResource,
    QualityGateResource,
    ServingResource,
    WarehouseResource,
)
from orchestration.defs.schedules import daily_journeys_schedule
from orchestration.defs.sensors import landing_files_sensor, related_days_sensor, run_failure_alert
from orchestration.defs.threshold_checks import closed_loop_watches
from orchestration.settings import Settings

# Resolve the defaults once and export them, so EnvVar resources and dbt's env_var() agree.
Settings.from_env().export()

dbt_partitioned_models, dbt_journey_marts = build_dbt_assets()

defs = dg.Definitions(
    assets=[
        journey_map,
        ingest_traces,
        evaluations,
        dbt_partitioned_models,
        dbt_journey_marts,
        build_serving_snapshot([dbt_partitioned_models, dbt_journey_marts]),
    ],
    asset_checks=[conversation_quality_gates, closed_loop_watches],
    jobs=[daily_journeys_job, rescore_cohort_job],
    schedules=[daily_journeys_schedule],
    sensors=[landing_files_sensor, related_days_sensor, run_failure_alert],
    resources={
        "warehouse": WarehouseResource(
            path=dg.EnvVar("JOURNEYS_WAREHOUSE"),
            engine=dg.EnvVar("JOURNEYS_WAREHOUSE_ENGINE"),
            lake_dir=dg.EnvVar("JOURNEYS_LAKE_DIR"),
            data_dir=dg.EnvVar("JOURNEYS_DATA_DIR"),
        ),
        "landing": LandingResource(directory=dg.EnvVar("JOURNEYS_LANDING_DIR")),
        "serving": ServingResource(
            directory=dg.EnvVar("JOURNEYS_SERVING_DIR"),
            evaluation_events_endpoint=dg.EnvVar("JOURNEYS_EVALUATION_EVENTS_ENDPOINT"),
        ),
        "journey_map_file": JourneyMapResource(path=dg.EnvVar("JOURNEYS_JOURNEY_MAP")),
        "evaluator": EvaluatorResource(engine=dg.EnvVar("JOURNEYS_EVAL_ENGINE")),
        "quality_gate": QualityGateResource(tolerance=dg.EnvVar.int("JOURNEYS_MISSING_JOURNEY_TOLERANCE")),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)
