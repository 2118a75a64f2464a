"""A drop planted in the simulated traffic comes out the other end of the loop: as a routing
signal an orchestrator reads, at the top of the friction ranking, and as a WARN check in Dagster.
A channel-specific failure (the demo's payment-by-sms friction) whose evidence a 7-day window
splits between two cohort weeks still comes out as a signal for that channel."""

import json
from dataclasses import replace
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from platform_settings import platform_settings

from orchestration.cli import main
from orchestration.simulate import DEMO_SCENARIO, Friction, FrictionKind, simulate

# The demo's payment-by-sms friction, with the chat test's completion drop so that the signal is
# clear of the threshold.
PAYMENT_BY_SMS_FAILS = replace(
    next(f for f in DEMO_SCENARIO.frictions if f.name == "payment_by_sms_fails"), completion_drop=0.6
)

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


TOP_FRICTION = (
    "select stage, channel from marts.friction_ranking "
    "where journey_name = 'streaming_onboarding' order by rank limit 1"
)


def _run_week(data, friction: Friction, start: date, journeys: int) -> None:
    """Simulate a week of the demo's traffic with one friction planted, and materialize it."""
    scenario = replace(DEMO_SCENARIO, frictions=(friction,))
    simulate(data / "landing", journeys=journeys, start=start, days=7, seed=3, scenario=scenario)
    end = start + timedelta(days=6)
    result = CliRunner().invoke(main, ["materialize", "--start", start.isoformat(), "--end", end.isoformat()])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def loop(platform_env):
    _run_week(platform_env, PAYMENT_OVER_CHAT_FAILS, date(2026, 11, 2), journeys=300)
    with duckdb.connect(str(platform_env / "warehouse.duckdb"), read_only=True) as con:
        signals = con.execute(
            "select stage, channel, recommendation, observed_value, threshold, conversations "
            "from marts.routing_signals where journey_name = 'streaming_onboarding'"
        ).fetchall()
        top = con.execute(TOP_FRICTION).fetchone()
    return platform_env, signals, top


@pytest.fixture(scope="module")
def sms_loop(tmp_path_factory):
    """A week from Thursday 2026-10-29 to Wednesday 2026-11-04 with payment by sms failing: the
    routing window holds the end of cohort 2026-W44 and the start of 2026-W45."""
    with platform_settings(tmp_path_factory.mktemp("sms")) as data:
        _run_week(data, PAYMENT_BY_SMS_FAILS, date(2026, 10, 29), journeys=200)
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        signals = con.execute(
            "select stage, cohort_week, channel, recommendation, observed_value, threshold, conversations "
            "from marts.routing_signals where journey_name = 'streaming_onboarding'"
        ).fetchall()
        sms_by_cohort = dict(
            con.execute(
                "select cohort_week, count(*) from intermediate.int_journey_conversations "
                "cross join intermediate.int_signal_window as w "
                "where journey_name = 'streaming_onboarding' and stage = 'payment' and channel = 'sms' "
                "and resolution_status = 'completed' "
                "and partition_date >= w.routing_window_start and partition_date < w.window_end "
                "group by cohort_week"
            ).fetchall()
        )
        top = con.execute(TOP_FRICTION).fetchone()
    return signals, sms_by_cohort, top


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


def test_a_channel_failure_split_across_cohort_weeks_is_routed_for_that_channel(sms_loop):
    signals, sms_by_cohort, _ = sms_loop
    # The window splits the sms evidence: no cohort week alone has the 20 conversations a cell
    # needs, so only the window's cohorts pooled can show the channel's failure.
    assert len(sms_by_cohort) == 2 and max(sms_by_cohort.values()) < 20 <= sum(sms_by_cohort.values())
    sms = [s for s in signals if s[0] == "payment" and s[2] == "sms"]
    assert [s[1:4] for s in sms] == [(None, "sms", "route_to_human_earlier")], signals
    _, _, _, _, observed, threshold, conversations = sms[0]
    assert observed < threshold and conversations == sum(sms_by_cohort.values())
    # The payment stage as a whole holds its threshold: the signal names the channel.
    assert not [s for s in signals if s[0] == "payment" and s[2] is None and s[3] == "route_to_human_earlier"]


def test_the_channel_failure_tops_the_friction_ranking(sms_loop):
    _, _, top = sms_loop
    assert top == ("payment", "sms")
