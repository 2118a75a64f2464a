from pathlib import Path

import pytest
import yaml

from orchestration.journey_map import (
    THRESHOLD_TOLERANCE,
    JourneyMapError,
    below_threshold,
    load_journey_map,
    parse_journey_map,
)
from orchestration.settings import REPO_ROOT


def test_repo_journey_map_declares_both_journeys_in_order():
    jmap = load_journey_map(REPO_ROOT / "journey_map.yaml")
    onboarding = jmap.journey("streaming_onboarding")
    assert onboarding.stage_names == ("sign-up", "payment", "content-prefs", "app-install", "first-watch")
    assert onboarding.stage("payment").thresholds.min_resolution == 0.75
    # unset thresholds fall back to the file's defaults
    assert onboarding.stage("sign-up").thresholds.min_quality == 0.60
    assert jmap.is_valid_channel("billing_dispute", "voice")
    assert not jmap.is_valid_channel("billing_dispute", "sms")
    assert not jmap.is_valid_stage("streaming_onboarding", "refund-decision")


def test_stage_rows_carry_order_count_and_version():
    jmap = parse_journey_map(
        {"version": 3, "journeys": {"j": {"channels": ["chat"], "stages": ["a", {"name": "b"}]}}}
    )
    rows = jmap.stage_rows()
    assert [(r["stage"], r["stage_order"], r["stage_count"], r["journey_map_version"]) for r in rows] == [
        ("a", 1, 2, "3"),
        ("b", 2, 2, "3"),
    ]
    assert jmap.channel_rows() == [{"journey_name": "j", "channel": "chat"}]


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"journeys": {}}, "missing required key 'version'"),
        ({"version": 1, "journeys": {}}, "non-empty mapping"),
        ({"version": 1, "journeys": {"j": {"stages": ["a"]}}}, "missing required key 'channels'"),
        ({"version": 1, "journeys": {"j": {"channels": ["chat"], "stages": ["a", "a"]}}}, "unique"),
        (
            {"version": 1, "journeys": {"j": {"channels": ["chat"], "stages": [{"name": "a", "thresholds": {"min_x": 1}}]}}},
            "unknown threshold",
        ),
        (
            {"version": 1, "journeys": {"j": {"channels": ["c"], "stages": [{"name": "a", "thresholds": {"min_quality": 2}}]}}},
            "in [0, 1]",
        ),
    ],
)
def test_malformed_maps_are_rejected_with_the_reason(doc, message):
    with pytest.raises(JourneyMapError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_journey_map(doc)


def test_missing_and_invalid_files(tmp_path: Path):
    with pytest.raises(JourneyMapError, match="not found"):
        load_journey_map(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [1\n")
    with pytest.raises(JourneyMapError, match="not valid YAML"):
        load_journey_map(bad)


def test_a_value_a_rounding_below_its_threshold_is_not_below_it():
    """A re-computed average can land a last binary digit under its threshold (0.93999999999999998
    for 0.94): that is no breach; a real shortfall still is."""
    assert not below_threshold(0.94 - 1e-12, 0.94)
    assert not below_threshold(0.94, 0.94)
    assert below_threshold(0.939, 0.94)


def test_dbt_compares_with_thresholds_with_the_same_tolerance():
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    assert project["vars"]["threshold_tolerance"] == THRESHOLD_TOLERANCE
