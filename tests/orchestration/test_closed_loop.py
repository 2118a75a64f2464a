"""A drop planted in the simulated traffic comes out the other end of the loop: as a routing
signal an orchestrator reads, at the top of the friction ranking, and as a WARN check in Dagster."""

import json
from dataclasses import replace
from datetime import date

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.simulate import DEMO_SCENARIO, Friction, FrictionKind, simulate

PAYMENT_OVER_CHAT_FAILS = Friction(
    name="payment_over_chat_fails",
    journey="streaming_onboarding",
    stage="payment",
    kind=FrictionKind.POOR_RESOLUTION,
    rate=1.0,
    completion_drop=0.6,
    csat_drop=1.0,
    channel="chat",
)


@pytest.fixture(scope="module")
def loop(platform_env):
    scenario = replace(DEMO_SCENARIO, frictions=(PAYMENT_OVER_CHAT_FAILS,))
    simulate(platform_env / "landing", journeys=300, start=date(2026, 11, 2), days=7, seed=3, scenario=scenario)
    result = CliRunner().invoke(main, ["materialize", "--start", "2026-11-02", "--end", "2026-11-08"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(platform_env / "warehouse.duckdb"), read_only=True) as con:
        signals = con.execute(
            "select stage, channel, recommendation, observed_value, threshold, conversations "
            "from marts.routing_signals where journey_name = 'streaming_onboarding'"
        ).fetchall()
        top = con.execute(
            "select stage, channel from marts.friction_ranking "
            "where journey_name = 'streaming_onboarding' order by rank limit 1"
        ).fetchone()
    return platform_env, signals, top


def test_the_planted_drop_is_a_route_to_human_signal_with_its_evidence(loop):
    _, signals, _ = loop
    payment = [s for s in signals if s[0] == "payment" and s[2] == "route_to_human_earlier"]
    assert payment, signals
    for _, _, _, observed, threshold, conversations in payment:
        assert observed < threshold and conversations >= 20


def test_no_other_stage_is_routed_to_humans(loop):
    _, signals, _ = loop
    assert {s[0] for s in signals if s[2] == "route_to_human_earlier"} == {"payment"}


def test_the_planted_cell_tops_the_friction_ranking(loop):
    _, _, top = loop
    assert top == ("payment", "chat")


def test_orchestrators_can_poll_the_signal(loop):
    data, _, _ = loop
    document = json.loads((data / "serving" / "routing_signals.json").read_text())
    assert any(
        s["journey_name"] == "streaming_onboarding" and s["stage"] == "payment"
        and s["recommendation"] == "route_to_human_earlier"
        for s in document["signals"]
    )


def test_the_threshold_breach_is_a_warn_check_with_its_numbers(loop):
    instance = dg.DagsterInstance.get()
    key = dg.AssetCheckKey(dg.AssetKey(["marts", "routing_signals"]), "stages_meet_journey_map_thresholds")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.event.dagster_event.event_specific_data
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["breaches"].value >= 1
