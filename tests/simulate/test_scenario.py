"""Planted friction shows up with the requested rate and effect size; scenarios are validated."""

from __future__ import annotations

from dataclasses import replace
from statistics import mean

import pytest
from sim_reader import START

from orchestration.simulate import DEMO_SCENARIO, Friction, FrictionKind, simulate

REASK = next(f for f in DEMO_SCENARIO.frictions if f.kind is FrictionKind.REASK)
SMS_PAYMENT = next(f for f in DEMO_SCENARIO.frictions if f.kind is FrictionKind.POOR_RESOLUTION)


def _completion(convs) -> float:
    assert len(convs) >= 60, f"too few conversations ({len(convs)}) to measure a rate"
    return sum(c.outcome == "completed" for c in convs) / len(convs)


def _reask_eligible(truth):
    """AI conversations at the re-asking stage of journeys that gave their preferences before."""
    prefs_at = {}
    for c in sorted(truth.conversations, key=lambda c: c.started_at):
        if c.stage == REASK.reask_from_stage:
            prefs_at.setdefault(c.journey_id, c.started_at)
    return [
        c for c in truth.conversations
        if c.stage == REASK.stage and c.agent_type == "ai" and prefs_at.get(c.journey_id, c.started_at) < c.started_at
    ]


def test_reask_friction_hits_the_requested_share_of_eligible_conversations(large_run):
    eligible = _reask_eligible(large_run.truth)
    hit = [c for c in large_run.truth.conversations if c.reask_of_earlier_stage_facts]
    assert {c.conversation_id for c in hit} <= {c.conversation_id for c in eligible}
    assert all(REASK.name in c.frictions for c in hit)
    assert len(hit) / len(eligible) == pytest.approx(REASK.rate, abs=0.07)


def test_reask_friction_lowers_completion_by_the_planted_drop(large_run):
    first = [c for c in _reask_eligible(large_run.truth) if c.handoff_from is None]
    drop = _completion([c for c in first if not c.reask_of_earlier_stage_facts]) - _completion(
        [c for c in first if c.reask_of_earlier_stage_facts]
    )
    assert drop == pytest.approx(REASK.completion_drop, abs=0.12)


def test_reask_friction_lowers_journey_csat(large_run):
    eligible = {c.journey_id for c in _reask_eligible(large_run.truth)}
    journeys = [j for j in large_run.truth.journeys if j.journey_id in eligible and j.csat is not None]
    hit = [j.csat for j in journeys if REASK.name in j.frictions]
    clean = [j.csat for j in journeys if not j.frictions]
    assert len(hit) > 30 and len(clean) > 30
    # the planted CSAT drop, plus what the extra abandonment costs, less what clipping at 1..5 hides
    assert mean(clean) - mean(hit) > 0.7 * REASK.csat_drop


def test_poor_resolution_channel_drops_completion_at_its_stage_only(large_run):
    first_ai = [c for c in large_run.truth.conversations if c.agent_type == "ai" and c.handoff_from is None]
    payment = [c for c in first_ai if c.stage == SMS_PAYMENT.stage]
    drop = _completion([c for c in payment if c.channel == "chat"]) - _completion(
        [c for c in payment if c.channel == SMS_PAYMENT.channel]
    )
    assert drop == pytest.approx(SMS_PAYMENT.completion_drop, abs=0.12)
    elsewhere = [c for c in first_ai if c.stage == "first-watch"]
    sms, chat = ([c for c in elsewhere if c.channel == ch] for ch in ("sms", "chat"))
    assert abs(_completion(sms) - _completion(chat)) < 0.15
    hit = [c for c in large_run.truth.conversations if SMS_PAYMENT.name in c.frictions]
    assert hit and all(c.stage == SMS_PAYMENT.stage and c.channel == SMS_PAYMENT.channel for c in hit)


def test_a_test_can_plant_its_own_drop_and_remove_the_demo_ones(tmp_path, journey_map):
    planted = Friction(
        name="first_watch_voice_fails", journey="streaming_onboarding", stage="first-watch",
        kind=FrictionKind.POOR_RESOLUTION, channel="voice", rate=1.0, completion_drop=0.7, csat_drop=0.5,
    )
    result = simulate(tmp_path / "landing", journeys=900, start=START, days=20, seed=4, journey_map=journey_map,
                      scenario=replace(DEMO_SCENARIO, name="planted", frictions=(planted,)))
    convs = result.truth.conversations
    assert not any(c.reask_of_earlier_stage_facts for c in convs)
    assert {f for c in convs for f in c.frictions} == {planted.name}
    voice = [c for c in convs if c.stage == "first-watch" and c.channel == "voice"]
    assert all(planted.name in c.frictions for c in voice)
    first_ai = [c for c in convs if c.stage == "first-watch" and c.agent_type == "ai" and c.handoff_from is None]
    voice_rate = sum(c.outcome == "completed" for c in first_ai if c.channel == "voice") / max(
        1, sum(c.channel == "voice" for c in first_ai))
    chat_rate = _completion([c for c in first_ai if c.channel == "chat"])
    assert chat_rate - voice_rate > 0.5
    assert result.truth.frictions[0]["name"] == planted.name and result.truth.scenario == "planted"


@pytest.mark.parametrize(
    ("friction", "message"),
    [
        (replace(REASK, stage="unboxing"), "not in the journey map"),
        (replace(REASK, reask_from_stage="first-watch"), "earlier stage"),
        (replace(SMS_PAYMENT, journey="billing_dispute", stage="investigation"), "not allowed"),
        (replace(SMS_PAYMENT, rate=1.5), "rate must be in"),
    ],
)
def test_scenarios_that_contradict_the_map_are_refused(tmp_path, journey_map, friction, message):
    with pytest.raises(ValueError, match=message):
        simulate(tmp_path / "landing", journeys=5, start=START, days=2, journey_map=journey_map,
                 scenario=replace(DEMO_SCENARIO, frictions=(friction,)))
    assert not (tmp_path / "landing").exists()


def test_bad_arguments_are_refused_before_writing(tmp_path, journey_map):
    with pytest.raises(ValueError, match="at least 1"):
        simulate(tmp_path / "landing", journeys=0, start=START, journey_map=journey_map)
    with pytest.raises(ValueError, match="must not be inside"):
        simulate(tmp_path / "landing", journeys=5, start=START, days=2, journey_map=journey_map,
                 truth_path=tmp_path / "landing" / "truth.json")
    assert not (tmp_path / "landing").exists()
