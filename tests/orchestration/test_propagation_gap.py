"""A propagation gap blocks the day: a conversation judged by an LLM although its customer's
effective consent forbade AI evaluation fails the blocking check consent_compliance_no_propagation_gap
in a real Dagster run, and the serving snapshot is not published over the last good one."""

from dataclasses import replace
from datetime import date

import dagster as dg
import duckdb
import pytest

from orchestration.simulate import simulate
from orchestration.simulate.scenario import DEMO_SCENARIO

DAY = date(2026, 11, 2)
CHECK = "consent_compliance_no_propagation_gap"


@pytest.fixture(scope="module")
def runs(platform_env):
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.definitions import build_definitions
    from orchestration.settings import Settings

    scenario = replace(DEMO_SCENARIO, consent_stated_once=True)
    simulate(platform_env / "landing", journeys=30, start=DAY, days=1, seed=11, scenario=scenario)
    settings = Settings.from_env()
    ensure_dagster_home(settings)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("daily_journeys")
    instance = dg.DagsterInstance.get()
    clean = job.execute_in_process(partition_key=DAY.isoformat(), instance=instance, raise_on_error=False)
    published = (platform_env / "serving" / "current").resolve()
    # The gap: a declined customer's conversation scored by the judge, as when the decision
    # arrived in a late file after the judge had read the conversation.
    with duckdb.connect(str(platform_env / "warehouse.duckdb")) as con:
        (gap,) = con.execute(
            "select min(conversation_id) from raw.customer_consent where not ai_evaluation"
        ).fetchone()
        con.execute(
            "update raw.evaluations set engine = 'llm', status = 'completed' where conversation_id = ?", [gap]
        )
    # The day's models and publication again, over the warehouse as it now is.
    downstream = [key for key in job.asset_layer.executable_asset_keys if key.path[0] != "raw"]
    blocked = job.execute_in_process(
        partition_key=DAY.isoformat(), instance=instance, raise_on_error=False, asset_selection=downstream
    )
    return clean, published, gap, blocked


def test_a_day_without_a_gap_passes_the_check_and_publishes(runs):
    clean, published, gap, _ = runs
    assert gap is not None  # the simulated day has a declined customer to plant the gap on
    assert clean.success
    checks = {e.check_name: e.passed for e in clean.get_asset_check_evaluations()}
    assert checks[CHECK] is True
    assert (published / "consent_compliance.parquet").exists()


def test_the_gap_fails_the_check_and_the_day_is_not_published(runs, platform_env):
    _, published, _, blocked = runs
    assert not blocked.success
    failed = {e.check_name for e in blocked.get_asset_check_evaluations() if not e.passed}
    assert CHECK in failed
    started = {e.step_key for e in blocked.all_events if e.event_type_value == "STEP_START"}
    assert "serving__snapshot" not in started
    assert (platform_env / "serving" / "current").resolve() == published
    with duckdb.connect(str(platform_env / "warehouse.duckdb"), read_only=True) as con:
        (gaps,) = con.execute("select sum(propagation_gaps) from marts.consent_compliance").fetchone()
    assert gaps == 1
