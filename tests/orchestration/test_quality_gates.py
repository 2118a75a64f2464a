"""A conversation without journey.stage must not reach any rollup: its day's blocking gate
fails, that day's marts and snapshot are not rebuilt, and the other days still build."""

from datetime import datetime

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from otlp_lines import conversation_line

from orchestration.cli import main
from orchestration.simulate import simulate

BAD_TRACE = "0badc0de" * 4
BAD_CONVERSATION = f"s-{BAD_TRACE[:8]}"


@pytest.fixture(scope="module")
def landing(platform_env):
    landing = platform_env / "landing"
    simulate(landing, journeys=30, start=datetime(2026, 11, 2).date(), days=2, seed=5)
    (landing / "agent-without-stage.jsonl").write_text(
        conversation_line(BAD_TRACE, datetime(2026, 11, 3, 15, 0), stage=None) + "\n"
    )
    return landing


@pytest.fixture(scope="module")
def daily_runs(landing, platform_env):
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.definitions import build_definitions
    from orchestration.settings import Settings

    settings = Settings.from_env()
    ensure_dagster_home(settings)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("daily_journeys")
    instance = dg.DagsterInstance.get()
    good = job.execute_in_process(partition_key="2026-11-02", instance=instance, raise_on_error=False)
    snapshot_after_good_day = (platform_env / "serving" / "current").resolve()
    bad = job.execute_in_process(partition_key="2026-11-03", instance=instance, raise_on_error=False)
    return good, snapshot_after_good_day, bad


def test_the_good_day_builds_and_publishes(daily_runs):
    good, snapshot, _ = daily_runs
    assert good.success
    assert (snapshot / "stage_funnel.parquet").exists()


def test_the_gate_fails_naming_the_conversation_and_its_file(daily_runs):
    _, _, bad = daily_runs
    assert not bad.success
    failed = {e.check_name: e for e in bad.get_asset_check_evaluations() if not e.passed}
    assert set(failed) == {"journey_fields_present"}
    metadata = {k: getattr(v, "value", v) for k, v in failed["journey_fields_present"].metadata.items()}
    assert BAD_CONVERSATION in str(metadata)
    assert "agent-without-stage.jsonl" in str(metadata)


def test_the_blocked_day_builds_no_rollup_and_keeps_the_last_snapshot(daily_runs, platform_env):
    _, snapshot, bad = daily_runs
    started = {e.step_key for e in bad.all_events if e.event_type_value == "STEP_START"}
    assert started.isdisjoint({"raw__evaluations", "dbt_partitioned_models", "dbt_journey_marts", "serving__snapshot"})
    assert (platform_env / "serving" / "current").resolve() == snapshot
    with duckdb.connect(str(platform_env / "warehouse.duckdb"), read_only=True) as con:
        in_marts = con.execute(
            "select count(*) from marts.conversation_evaluations where cast(started_at as date) = '2026-11-03'"
        ).fetchone()[0]
    assert in_marts == 0


def test_materialize_exits_non_zero_naming_the_check_and_builds_the_other_day(daily_runs, platform_env):
    result = CliRunner().invoke(main, ["materialize", "--start", "2026-11-02", "--end", "2026-11-03"])
    assert result.exit_code == 1
    assert "check raw/conversations:journey_fields_present failed" in result.output
    assert BAD_CONVERSATION in result.output
    assert "2026-11-03 is left out of:" in result.output and "raw/evaluations" in result.output
    assert "evaluators and dbt models 2026-11-02..2026-11-02 ok" in result.output
    assert "cohort marts and serving snapshot  ok" in result.output
