"""The evaluations asset under `dg.materialize`: what a range run records in Dagster."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from asset_resources import asset_resources

from orchestration.defs.assets.evaluations import EVALUATIONS_KEY, evaluations
from orchestration.defs.assets.ingest import ingest_traces
from orchestration.materialization import RANGE_END_TAG, RANGE_START_TAG
from orchestration.simulate import simulate

DAYS = ["2026-11-02", "2026-11-03", "2026-11-04"]


@pytest.fixture(scope="module")
def range_run(tmp_path_factory) -> tuple[dg.DagsterInstance, Path]:
    """Three simulated days ingested one by one, then scored in one run, as a backfill with the
    asset's single-run policy (or `journeys materialize`) does."""
    data = tmp_path_factory.mktemp("evaluations")
    simulate(data / "landing", journeys=40, start=date.fromisoformat(DAYS[0]), days=len(DAYS), seed=5)
    resources = asset_resources(data)
    instance = dg.DagsterInstance.ephemeral()
    for day in DAYS:
        assert dg.materialize([ingest_traces], partition_key=day, instance=instance, resources=resources).success
    result = dg.materialize(
        [evaluations],
        instance=instance,
        resources=resources,
        tags={RANGE_START_TAG: DAYS[0], RANGE_END_TAG: DAYS[-1]},
    )
    assert result.success
    return instance, data


def _metadata(instance: dg.DagsterInstance, day: str) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=EVALUATIONS_KEY, asset_partitions=[day]), limit=1
    ).records
    assert records, f"{day} was not materialized"
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def test_a_range_run_records_the_ranges_figures_on_every_day(range_run):
    """Dagster cannot give each day of a single run its own metadata, so every day carries the
    range's totals and means, labelled as the range, with each day's own summary beside them."""
    instance, data = range_run
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        conversations = con.execute("select count(*) from raw.conversations").fetchone()[0]
        rows = dict(
            con.execute(
                "select evaluator, avg(score) from raw.evaluations where score is not null group by 1"
            ).fetchall()
        )
        completed = dict(
            con.execute(
                "select evaluator, count(*) from raw.evaluations where status = 'completed' group by 1"
            ).fetchall()
        )
    assert len(rows) == 3
    for day in DAYS:
        metadata = _metadata(instance, day)
        assert metadata["partition"] == f"{DAYS[0]}..{DAYS[-1]}"
        assert metadata["days"] == len(DAYS)
        assert metadata["conversations"] == conversations
        for evaluator, mean in rows.items():
            assert metadata[f"{evaluator}.mean_score"] == pytest.approx(mean, abs=1e-4)
            assert metadata[f"{evaluator}.completed"] == completed[evaluator]
        assert all(d in metadata["per_day"] for d in DAYS)


def test_a_one_day_run_records_that_days_own_figures(range_run):
    instance, data = range_run
    resources = asset_resources(data)
    assert dg.materialize([evaluations], partition_key=DAYS[1], instance=instance, resources=resources).success
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        conversations = con.execute(
            "select count(*) from raw.conversations where partition_date = ?", [date.fromisoformat(DAYS[1])]
        ).fetchone()[0]
    metadata = _metadata(instance, DAYS[1])
    assert metadata["partition"] == DAYS[1]
    assert metadata["conversations"] == conversations
    assert "days" not in metadata
