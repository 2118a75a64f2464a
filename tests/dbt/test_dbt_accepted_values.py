"""The "values are accepted" data tests. Agent type and stage outcome are closed vocabularies of
the trace contract (ingestion quarantines anything else), so another value in a mart fails the
build. The channel is not: the journey map decides which channels a journey allows, so a channel
outside the documented chat/voice/email/sms only warns and the marts are still built."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from dbt_harness import REPO_ROOT, Conversation, DbtWarehouse
from journey_fixture import CONVERSATIONS, CSAT_ANSWERS, t, v, verdicts

from evals import registry
from orchestration.journey_map import load_journey_map


def _results(output: str, status: str) -> set[str]:
    """Names of the dbt tests that ended with `status` (PASS, WARN, FAIL, ERROR)."""
    return set(re.findall(rf"\d+ of \d+ {status}(?: \d+)? (\S+)", output))


def test_a_channel_the_journey_map_allows_warns_and_the_marts_are_built(tmp_path: Path) -> None:
    """A deployment whose map adds 'whatsapp': its conversations reach the marts; the channel
    tests only warn."""
    journey_map = load_journey_map(REPO_ROOT / "journey_map.yaml")
    streaming = journey_map.journeys["streaming_onboarding"]
    journey_map = replace(
        journey_map,
        journeys={
            **journey_map.journeys,
            "streaming_onboarding": replace(streaming, channels=(*streaming.channels, "whatsapp")),
        },
    )
    whatsapp = Conversation(
        "w1", "J7", "sign-up", "whatsapp", t("2026-11-04 09:00"), t("2026-11-04 09:10"), "completed",
        verdicts=verdicts(v(0.9, True), v(0.8, True), v(0.9, True)),
    )  # fmt: skip
    warehouse = DbtWarehouse.create(tmp_path, [*CONVERSATIONS, whatsapp], CSAT_ANSWERS, journey_map)

    output = warehouse.dbt("build").stdout  # succeeds

    assert {name.split("__")[0] for name in _results(output, "WARN")} == {
        "accepted_values_stg_conversations_channel",
        "accepted_values_conversation_evaluations_channel",
        "accepted_values_daily_stage_metrics_channel",
    }
    daily = warehouse.records(
        "select conversations from marts.daily_stage_metrics where channel = 'whatsapp'"
    )
    assert daily == [{"conversations": 1}]
    (journey,) = warehouse.records("select channel_sequence from marts.journeys where journey_id = 'J7'")
    assert journey == {"channel_sequence": "whatsapp"}


@pytest.mark.parametrize(
    ("column", "value"),
    [("agent_type", "bot"), ("outcome", "resolved")],
)
def test_an_agent_type_or_outcome_outside_the_contract_fails(
    scratch: DbtWarehouse, column: str, value: str
) -> None:
    scratch.execute(
        f"update marts.conversation_evaluations set {column} = ? where conversation_id = 'j1c1'", [value]
    )

    result = scratch.dbt("test", "--select", "conversation_evaluations", expect_success=False)

    failed = {name.split("__")[0] for name in _results(result.stdout, "FAIL")}
    assert failed == {f"accepted_values_conversation_evaluations_{column}"}


def test_the_evaluator_names_accepted_are_the_registrys(scratch: DbtWarehouse) -> None:
    """stg_evaluations accepts the names evals/registry.py gives (through macros/evaluators.sql);
    a verdict of an evaluator the registry does not name only warns."""
    scratch.execute(
        "insert into raw.evaluations (conversation_id, evaluator, status, evaluated_at, partition_date) "
        "select conversation_id, 'unregistered_evaluator', status, evaluated_at, partition_date "
        "from raw.evaluations where evaluator = ? limit 1",
        [registry.names()[0]],
    )

    result = scratch.dbt("build", "--select", "stg_evaluations")

    # One value outside the accepted ones (the test counts failing values): the registry's pass.
    warned = re.findall(r"\d+ of \d+ WARN (\d+) (\S+)", result.stdout)
    assert [(count, name.split("__")[0]) for count, name in warned] == [
        ("1", "accepted_values_stg_evaluations_evaluator")
    ]
    stored = {row["evaluator"] for row in scratch.records("select distinct evaluator from staging.stg_evaluations")}
    assert stored == {*registry.names(), "unregistered_evaluator"}
