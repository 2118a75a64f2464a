"""The Dagster code location (`workspace.yaml` loads `defs` from here).

`build_definitions` makes the definitions from one `Settings`; `defs`, the code location's
entry point, is what Dagster calls when it loads the code location (importing this module
changes nothing)."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.assets.dbt import DBT_EXECUTABLE, build_dbt_assets, dbt_project
from orchestration.defs.assets.evaluations import evaluations
from orchestration.defs.assets.ingest import ingest_traces
from orchestration.defs.assets.journey_map import journey_map
from orchestration.defs.assets.serving import build_serving_snapshot
from orchestration.defs.checks import conversation_quality_gates
from orchestration.defs.jobs import daily_journeys_job, rescore_cohort_job
from orchestration.defs.resources import platform_resources
from orchestration.defs.schedules import build_daily_journeys_schedule
from orchestration.defs.sensors import landing_files_sensor, related_days_sensor, run_failure_alert
from orchestration.defs.threshold_checks import closed_loop_watches
from orchestration.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Assets, checks, jobs, the schedule and the sensors, with resources built from `settings`."""
    dbt_partitioned_models, dbt_journey_marts = build_dbt_assets()
    return dg.Definitions(
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
        schedules=[build_daily_journeys_schedule(settings)],
        sensors=[landing_files_sensor, related_days_sensor, run_failure_alert],
        resources={
            **platform_resources(settings),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location's entry point (the code server and each run worker call it once). It
    exports the settings for the processes the runs start: dbt's profile reads
    `env_var('JOURNEYS_WAREHOUSE')`, and dagster-dbt passes this process's environment on."""
    settings = Settings.from_env()
    settings.export()
    return build_definitions(settings)
