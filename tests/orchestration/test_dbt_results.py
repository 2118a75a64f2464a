"""A dbt step that finished without a result for one of its models fails, naming it, instead of
succeeding and leaving Dagster to skip everything downstream (as when Spark's progress bar made
dbt's log lines unreadable to dagster-dbt)."""

import dagster as dg
import pytest

from orchestration.defs.assets.dbt import every_model_reported

SPECS = [dg.AssetSpec(["marts", "journeys"]), dg.AssetSpec(["marts", "routing_signals"])]


def _models(results: list[str]) -> dg.AssetsDefinition:
    """A step shaped like a dbt_assets op: one output per model, whose events come from a stream."""

    @dg.multi_asset(specs=SPECS)
    def models(context: dg.AssetExecutionContext):
        yield from every_model_reported(context, (dg.MaterializeResult(asset_key=["marts", r]) for r in results))

    return models


def test_every_model_reported_passes_the_results_through() -> None:
    result = dg.materialize([_models(["journeys", "routing_signals"])])
    assert result.success
    assert {m.asset_key for m in result.asset_materializations_for_node("models")} == {s.key for s in SPECS}


def test_a_model_without_a_result_fails_the_step_naming_it() -> None:
    with pytest.raises(dg.Failure, match=r"no result was read for 1 selected model\(s\): marts/routing_signals"):
        dg.materialize([_models(["journeys"])])
