"""The dbt project as Dagster assets, in two factories like dagster-open-platform: the
incremental models, partitioned by day and given the partition window as dbt vars, and the
rest (cohort-level marts rebuilt over all history)."""


import json
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WAREHOUSE_POOL
from orchestration.settings import REPO_ROOT

INCREMENTAL_SELECTOR = "config.materialized:incremental"

# The venv's dbt, found even when the venv is not activated (`make demo` calls .venv/bin/journeys).
DBT_EXECUTABLE = shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=REPO_ROOT / "dbt_project", profiles_dir=REPO_ROOT / "dbt_project")


def prepare_manifest() -> None:
    """Parse the project into target/manifest.json when it is missing or older than a model.

    The manifest is a build artifact (never committed); `dagster dev` prepares it itself, but
    `journeys materialize` and the tests load the definitions without the dev CLI.
    """
    manifest = dbt_project.manifest_path
    sources = [p for p in dbt_project.project_dir.rglob("*") if p.suffix in {".sql", ".yml", ".yaml"}]
    sources = [p for p in sources if "target" not in p.parts and "logs" not in p.parts]
    if not manifest.exists() or max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime:
        dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
        dbt.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


class JourneysDbtTranslator(DagsterDbtTranslator):
    """Key models by warehouse schema (`marts/stage_funnel`) and sources by their raw table
    (`raw/conversations`), so dbt's lineage attaches to the Python assets that write them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """A test whose parents sit in both factories (an incremental model's relationship to a
        cohort mart) cannot report from either op: the partitioned op runs before the mart
        exists. dbt still runs it, in the marts build, where its failure fails the step."""
        parents = manifest["parent_map"].get(unique_id, [])
        kinds = {_is_incremental(manifest["nodes"][p]) for p in parents if p in manifest["nodes"]}
        if len(kinds) > 1:
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


def _is_incremental(node: Mapping[str, Any]) -> bool:
    return node.get("config", {}).get("materialized") == "incremental"


def every_model_reported(context: dg.AssetExecutionContext, events: Iterable[Any]) -> Iterator[Any]:
    """dbt's events as dagster-dbt streams them, then a failure if dbt finished without a result
    for a selected model.

    dagster-dbt reads each model's result from dbt's JSON log lines. A line it cannot parse
    (Spark's console progress bar once glued itself to the front of some) loses that model's
    output, and Dagster then skips everything downstream of it, the serving snapshot included,
    in a run that still reports success. Naming the lost models turns that into an error."""
    reported: set[dg.AssetKey] = set()
    for event in events:
        if isinstance(event, dg.Output):
            reported.add(context.asset_key_for_output(event.output_name))
        elif isinstance(event, dg.AssetMaterialization | dg.MaterializeResult) and event.asset_key:
            reported.add(event.asset_key)
        yield event
    missing = sorted(key.to_user_string() for key in context.selected_asset_keys - reported)
    if missing:
        raise dg.Failure(
            f"dbt finished, but no result was read for {len(missing)} selected model(s): "
            f"{', '.join(missing)}. Its log lines were not dbt's JSON (another process writing to "
            "the same output?); see the dbt log in this step's output."
        )


def _window_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The half-open [start, end) window of the run's partitions; a backfill runs once over
    its whole range (single-run policy), so the window may span many days."""
    window = context.partition_time_window
    return {"partition_start": window.start.date().isoformat(), "partition_end": window.end.date().isoformat()}


@cache
def build_dbt_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    prepare_manifest()
    translator = JourneysDbtTranslator()

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=INCREMENTAL_SELECTOR,
        dagster_dbt_translator=translator,
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        name="dbt_partitioned_models",
    )
    def dbt_partitioned_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        args = ["build", "--vars", json.dumps(_window_vars(context))]
        yield from every_model_reported(context, dbt.cli(args, context=context).stream())

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        exclude=INCREMENTAL_SELECTOR,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
        name="dbt_journey_marts",
    )
    def dbt_journey_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from every_model_reported(context, dbt.cli(["build"], context=context).stream())

    return dbt_partitioned_models, dbt_journey_marts
