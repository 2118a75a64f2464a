"""The GX quality gates on conversations: what each catches, with the offenders named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from orchestration.journey_map import load_journey_map
from orchestration.quality import GATES, validate_conversations
from orchestration.settings import REPO_ROOT

NOW = datetime(2026, 10, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def journey_map():
    return load_journey_map(REPO_ROOT / "journey_map.yaml")


def conversations(n: int = 4) -> pd.DataFrame:
    start = datetime(2026, 10, 5, 9, 0)
    return pd.DataFrame(
        {
            "conversation_id": [f"c{i}" for i in range(n)],
            "journey_id": [f"j{i}" for i in range(n)],
            "customer_id": [f"cust{i}" for i in range(n)],
            "journey_name": ["streaming_onboarding", "billing_dispute"] * (n // 2),
            "stage": ["payment", "investigation"] * (n // 2),
            "channel": ["chat", "voice"] * (n // 2),
            "started_at": [start + timedelta(hours=i) for i in range(n)],
            "ended_at": [start + timedelta(hours=i, minutes=5) for i in range(n)],
            "trace_ids": [[f"{i:032x}"] for i in range(n)],
            "source_files": [[f"/landing/day-{i}.jsonl"] for i in range(n)],
        }
    )


def by_name(results):
    assert [r.name for r in results] == list(GATES)
    return {r.name: r for r in results}


def test_good_conversations_pass_every_gate(journey_map):
    results = by_name(validate_conversations(conversations(), journey_map, now=NOW))
    assert all(r.passed and r.unexpected_count == 0 and r.conversation_ids == [] for r in results.values())


def test_missing_journey_stage_fails_with_the_offending_ids_and_files(journey_map):
    frame = conversations()
    frame.loc[1, "stage"] = None
    frame.loc[3, "customer_id"] = "  "  # blank counts as missing
    result = by_name(validate_conversations(frame, journey_map, now=NOW))["journey_fields_present"]
    assert not result.passed
    assert result.unexpected_count == 2
    assert result.conversation_ids == ["c1", "c3"]
    assert result.source_files == ["/landing/day-1.jsonl", "/landing/day-3.jsonl"]
    assert result.description.startswith("2 of 4 conversations without journey.stage")
    assert result.to_metadata()["conversation_ids"] == ["c1", "c3"]


def test_tolerance_lets_a_few_incomplete_conversations_through(journey_map):
    frame = conversations()
    frame.loc[0, "journey_id"] = None
    assert by_name(validate_conversations(frame, journey_map, tolerance=1, now=NOW))["journey_fields_present"].passed
    frame.loc[2, "journey_id"] = None
    assert not by_name(validate_conversations(frame, journey_map, tolerance=1, now=NOW))["journey_fields_present"].passed


def test_stage_and_channel_must_belong_to_the_conversations_journey(journey_map):
    frame = conversations()
    frame.loc[0, "stage"] = "investigation"  # a billing_dispute stage on an onboarding journey
    frame.loc[1, "journey_name"] = "loyalty_program"  # not in the map
    frame.loc[2, "channel"] = "fax"
    frame.loc[3, "channel"] = None
    results = by_name(validate_conversations(frame, journey_map, now=NOW))
    assert results["stage_in_journey_map"].conversation_ids == ["c0", "c1"]
    assert results["channel_in_journey_map"].conversation_ids == ["c1", "c2", "c3"]
    assert results["journey_fields_present"].passed


def test_implausible_timestamps(journey_map):
    frame = conversations(6)
    frame.loc[0, "ended_at"] = frame.loc[0, "started_at"] - timedelta(seconds=1)
    frame.loc[1, "started_at"] = datetime(1999, 12, 31)
    frame.loc[2, "started_at"] = NOW.replace(tzinfo=None) + timedelta(hours=1)
    frame.loc[2, "ended_at"] = NOW.replace(tzinfo=None) + timedelta(hours=2)
    frame.loc[3, "ended_at"] = None
    frame.loc[4, "ended_at"] = NOW.replace(tzinfo=None) + timedelta(minutes=5)  # within the allowed skew
    result = by_name(validate_conversations(frame, journey_map, now=NOW))["timestamps_plausible"]
    assert result.conversation_ids == ["c0", "c1", "c2", "c3"]


def test_missing_or_repeated_ids(journey_map):
    frame = conversations()
    frame.loc[1, "conversation_id"] = None
    frame.loc[3, "conversation_id"] = "c2"
    frame.at[0, "trace_ids"] = []
    result = by_name(validate_conversations(frame, journey_map, now=NOW))["ids_not_null"]
    assert not result.passed
    assert result.unexpected_count == 4
    assert result.conversation_ids == ["c0", None, "c2", "c2"]


def test_an_empty_partition_passes(journey_map):
    assert all(r.passed for r in validate_conversations(conversations(0), journey_map, now=NOW))
