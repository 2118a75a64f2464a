"""The journey marts on the hand-made journeys of journey_fixture.py, after a real `dbt build`.

Every expected value below is worked out by hand from the fixture's docstring and rows; the
comment beside a number says where it comes from.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dbt_harness import REPO_ROOT, DbtWarehouse, assert_columns, by_key


def test_marts_live_in_the_marts_schema(built: DbtWarehouse) -> None:
    tables = {
        (r["table_schema"], r["table_name"])
        for r in built.records("select table_schema, table_name from information_schema.tables")
    }
    for mart in (
        "stage_funnel",
        "channel_mix",
        "stage_handoffs",
        "journeys",
        "conversation_evaluations",
        "daily_stage_metrics",
        "daily_evaluation_cells",
        "daily_step_transitions",
        "stage_compliance",
        "routing_signals",
        "friction_ranking",
        "journey_guard",
        "journey_map_drift",
    ):
        assert ("marts", mart) in tables
    assert ("staging", "stg_conversations") in tables
    assert ("intermediate", "int_journey_stages") in tables


def test_journeys(built: DbtWarehouse) -> None:
    journeys = by_key(built.table("marts.journeys", "journey_id"), "journey_id")
    # x1 has no journey id and x2 no stage: neither creates or joins a journey.
    assert sorted(journeys) == [("J1",), ("J2",), ("J3",), ("J4",), ("J5",), ("J6",)]
    assert_columns(
        journeys[("J1",)],
        {
            "customer_id": "cust-J1",
            "journey_name": "streaming_onboarding",
            "cohort_week": "2026-W45",
            "segment": "consumer",
            "started_at": datetime(2026, 11, 2, 9, 0),
            "conversations": 6,
            "last_stage_reached": "first-watch",
            "completed_all_stages": True,
            "stages_visited": 5,
            "stages_reentered": 0,
            # chat, chat, voice, chat, chat, chat: consecutive repeats collapse.
            "channel_sequence": "chat > voice > chat",
            "stage_path": "sign-up > payment > content-prefs > app-install > first-watch",
            # answers 2 (Nov 3) then 4 (Nov 4): the latest counts.
            "csat": 4,
            "csat_responses": 2,
        },
    )
    assert_columns(
        journeys[("J2",)],
        {
            "cohort_week": "2026-W45",
            "segment": "smb",
            "conversations": 4,
            "last_stage_reached": "payment",
            "completed_all_stages": False,
            "stages_visited": 2,
            "stages_reentered": 2,
            "channel_sequence": "email > chat",
            "stage_path": "sign-up > payment > sign-up > payment",
            "csat": 1,
        },
    )
    # J3's first conversation has no segment: the first one recorded is used.
    assert_columns(
        journeys[("J3",)],
        {
            "cohort_week": "2026-W46",
            "segment": "enterprise",
            "last_stage_reached": "content-prefs",
            "stages_visited": 2,
            "stages_reentered": 1,
            "channel_sequence": "chat > sms",
            "csat": None,
            "csat_responses": 0,
        },
    )
    # The 'upsell' conversation counts in the journey's paths but is no journey-map stage.
    assert_columns(
        journeys[("J4",)],
        {
            "cohort_week": "2026-W46",
            "segment": None,
            "conversations": 3,
            "last_stage_reached": "sign-up",
            "stages_visited": 1,
            "stages_reentered": 0,
            "channel_sequence": "voice > chat",
            "stage_path": "sign-up > upsell",
            "csat": 5,
        },
    )
    # 2027-01-01 belongs to ISO year 2026.
    assert_columns(journeys[("J6",)], {"journey_name": "billing_dispute", "cohort_week": "2026-W53"})


FUNNEL_W45 = {
    # entered J1, J2; J2 came back after payment (re-entry); CSAT 4 and 1.
    "sign-up": {
        "entered": 2,
        "completed": 2,
        "completion_rate": 1.0,
        "reentered": 1,
        "reentry_rate": 0.5,
        "conversations": 3,
        "avg_resolution": (0.9 + 0.7 + 0.9) / 3,
        "resolution_rate": 1.0,
        "avg_quality": (0.8 + 0.6 + 0.9) / 3,
        "avg_context_retention": 0.9,  # J1's entry 0.9; J2's entry not applicable
        "eval_fail_rate": 0.0,
        "journeys_with_csat": 2,
        "avg_csat": 2.5,
    },
    # J1 completes (outcome, and reaches content-prefs); J2 abandons twice; j2c4 has no verdicts.
    "payment": {
        "entered": 2,
        "completed": 1,
        "completion_rate": 0.5,
        "reentered": 1,
        "reentry_rate": 0.5,
        "conversations": 4,
        "avg_resolution": (0.2 + 0.8 + 0.1) / 3,
        "resolution_rate": 1 / 3,
        "avg_quality": (0.6 + 0.7 + 0.3) / 3,
        "avg_context_retention": (0.8 + 0.45) / 2,
        # j1c2 and j2c2 fail an evaluator; j2c4 has no verdict yet but is one of the 4 conversations.
        "eval_fail_rate": 2 / 4,
        "journeys_with_csat": 2,
        "avg_csat": 2.5,
    },
    "content-prefs": {
        "entered": 1,
        "completed": 1,
        "completion_rate": 1.0,
        "reentered": 0,
        "reentry_rate": 0.0,
        "conversations": 1,
        "avg_context_retention": 0.4,
        "eval_fail_rate": 1.0,
        "avg_csat": 4.0,
    },
    "app-install": {
        "entered": 1,
        "completed": 1,
        "avg_context_retention": 0.3,
        "eval_fail_rate": 1.0,
        "avg_quality": 0.5,
    },
    "first-watch": {"entered": 1, "completed": 1, "avg_context_retention": 0.9, "eval_fail_rate": 0.0},
}
FUNNEL_W46 = {
    # J3 abandons sign-up, returns 25 h later (re-entry) and completes; J4 completes, its two
    # calls 23 h apart are one visit.
    "sign-up": {
        "entered": 2,
        "completed": 2,
        "completion_rate": 1.0,
        "reentered": 1,
        "reentry_rate": 0.5,
        "conversations": 4,
        "avg_resolution": (0.3 + 0.8 + 0.9 + 0.9) / 4,
        "resolution_rate": 0.75,
        "avg_quality": (0.4 + 0.8 + 0.9 + 0.9) / 4,
        "avg_context_retention": (0.7 + 1.0) / 2,
        "eval_fail_rate": 0.25,
        "journeys_with_csat": 1,
        "avg_csat": 5.0,
    },
    # Nobody of W46 reached payment (J3 skipped it): counts 0, rates null, not 0.
    "payment": {
        "entered": 0,
        "completed": 0,
        "completion_rate": None,
        "reentered": 0,
        "reentry_rate": None,
        "conversations": 0,
        "avg_resolution": None,
        "resolution_rate": None,
        "eval_fail_rate": None,
        "journeys_with_csat": 0,
        "avg_csat": None,
    },
    "content-prefs": {
        "entered": 1,
        "completed": 0,
        "completion_rate": 0.0,
        "conversations": 1,
        "avg_context_retention": 0.2,
        "eval_fail_rate": 1.0,
        "journeys_with_csat": 0,
    },
    "app-install": {"entered": 0, "completion_rate": None},
    "first-watch": {"entered": 0, "completion_rate": None},
}


def test_stage_funnel(built: DbtWarehouse) -> None:
    funnel = by_key(
        built.table("marts.stage_funnel", "journey_name, cohort_week, stage_order"),
        "journey_name",
        "cohort_week",
        "stage",
    )
    # 5 streaming stages x 2 cohorts + 4 billing stages x 2 cohorts (W45, W53).
    assert len(funnel) == 18
    for cohort, expected_stages in (("2026-W45", FUNNEL_W45), ("2026-W46", FUNNEL_W46)):
        for stage, expected in expected_stages.items():
            assert_columns(funnel[("streaming_onboarding", cohort, stage)], expected)
    payment = funnel[("streaming_onboarding", "2026-W45", "payment")]
    assert_columns(
        payment,
        {
            "stage_order": 2,
            "stage_count": 5,
            "min_resolution": 0.75,
            "min_quality": 0.6,
            "min_context_retention": 0.7,
            "min_completion_rate": 0.8,
            "journey_map_version": "1",
        },
    )
    assert_columns(
        funnel[("billing_dispute", "2026-W53", "dispute-intake")],
        {"entered": 1, "completed": 0, "completion_rate": 0.0, "resolution_rate": 0.0},
    )
    assert ("billing_dispute", "2026-W46", "dispute-intake") not in funnel


def test_stage_handoffs(built: DbtWarehouse) -> None:
    handoffs = by_key(
        built.table("marts.stage_handoffs", "journey_name, from_stage, to_stage"), "from_stage", "to_stage"
    )
    # J4's move to 'upsell' is not between journey-map stages (it is drift).
    assert sorted(handoffs) == sorted(
        [
            ("sign-up", "payment"),
            ("payment", "content-prefs"),
            ("content-prefs", "app-install"),
            ("app-install", "first-watch"),
            ("payment", "sign-up"),
            ("sign-up", "content-prefs"),
        ]
    )
    # J1 and J2 arrive first (retention 0.8 passed, 0.45 failed); J2's return is no first entry.
    assert_columns(
        handoffs[("sign-up", "payment")],
        {
            "transitions": 3,
            "journeys": 2,
            "first_entries": 2,
            "retention_judged": 2,
            "avg_context_retention": 0.625,
            "retention_fail_rate": 0.5,
            "is_mapped_step": True,
            "min_context_retention": 0.7,
        },
    )
    assert_columns(
        handoffs[("content-prefs", "app-install")],
        {
            "transitions": 1,
            "avg_context_retention": 0.3,
            "retention_fail_rate": 1.0,
            "min_context_retention": 0.75,
        },
    )
    # Going back to sign-up is a re-entry: there is no first-entry retention to average.
    assert_columns(
        handoffs[("payment", "sign-up")],
        {
            "transitions": 1,
            "first_entries": 0,
            "retention_judged": 0,
            "avg_context_retention": None,
            "retention_fail_rate": None,
            "is_mapped_step": False,
        },
    )
    assert_columns(
        handoffs[("sign-up", "content-prefs")], {"is_mapped_step": False, "avg_context_retention": 0.2}
    )


def test_channel_mix(built: DbtWarehouse) -> None:
    mix = by_key(
        built.table("marts.channel_mix", "journey_name, channel_sequence"), "journey_name", "channel_sequence"
    )
    baseline = (4 + 1 + 5) / 3  # J1, J2, J4; J3 has no CSAT
    assert_columns(
        mix[("streaming_onboarding", "chat > voice > chat")],
        {
            "journeys": 1,
            "completed_journeys": 1,
            "completion_rate": 1.0,
            "journeys_with_csat": 1,
            "avg_csat": 4.0,
            "journey_name_avg_csat": baseline,
            "csat_lift": 4 - baseline,
        },
    )
    assert_columns(
        mix[("streaming_onboarding", "email > chat")], {"csat_lift": 1 - baseline, "completion_rate": 0.0}
    )
    assert_columns(mix[("streaming_onboarding", "voice > chat")], {"csat_lift": 5 - baseline})
    assert_columns(
        mix[("streaming_onboarding", "chat > sms")],
        {"journeys_with_csat": 0, "avg_csat": None, "csat_lift": None},
    )
    # billing_dispute has its own baseline (J5's 3): J5 and J6 share 'chat'.
    assert_columns(
        mix[("billing_dispute", "chat")],
        {"journeys": 2, "completion_rate": 0.0, "avg_csat": 3.0, "csat_lift": 0.0},
    )
    assert len(mix) == 5


def test_conversation_evaluations(built: DbtWarehouse) -> None:
    rows = by_key(built.table("marts.conversation_evaluations", "conversation_id"), "conversation_id")
    assert len(rows) == 18  # 20 conversations, x1 and x2 are not rollup-eligible
    assert_columns(
        rows[("j1c3",)],
        {
            "journey_id": "J1",
            "customer_id": "cust-J1",
            "segment": "consumer",
            "cohort_week": "2026-W45",
            "channel": "voice",
            "agent_type": "human",
            "outcome": "completed",
            "consent_status": "granted",
            "resolution_score": 0.8,
            "resolution_passed": True,
            "resolution_status": "completed",
            "resolution_reason": "resolution verdict for j1c3",
            "context_retention_score": None,
            "context_retention_status": "failed",
            "is_judged": True,
            "failed_any_evaluator": False,
            "partition_date": date(2026, 11, 2),
        },
    )
    assert rows[("j1c3",)]["turns"][0]["role"] == "customer"
    # A later conversation of a W46 journey keeps the journey's cohort.
    assert_columns(rows[("j3c2",)], {"cohort_week": "2026-W46", "segment": "enterprise"})
    assert_columns(
        rows[("j2c4",)],
        {
            "resolution_score": None,
            "resolution_status": None,
            "is_judged": False,
            "failed_any_evaluator": False,
        },
    )
    assert_columns(
        rows[("j2c3",)],
        {
            "consent": " Withdrawn ",
            "consent_status": "withdrawn",
            "has_redaction_marker": True,
            "has_pii": True,
        },
    )


def test_daily_stage_metrics(built: DbtWarehouse) -> None:
    daily = by_key(
        built.table("marts.daily_stage_metrics", "date, journey_name, stage, channel"),
        "date",
        "stage",
        "channel",
    )
    assert len(daily) == 18  # every eligible conversation falls in its own (day, stage, channel)
    assert_columns(
        daily[(date(2026, 11, 2), "payment", "chat")],
        {
            "conversations": 1,
            "escalated_outcomes": 1,
            "completed_outcomes": 0,
            "resolution_rate": 0.0,
            "avg_resolution": 0.2,
            "eval_fail_rate": 1.0,
        },
    )
    assert_columns(
        daily[(date(2026, 11, 2), "payment", "voice")],
        {
            "human_conversations": 1,
            "resolution_rate": 1.0,
            "avg_context_retention": None,
            "eval_fail_rate": 0.0,
        },
    )
    assert_columns(
        daily[(date(2026, 11, 5), "payment", "chat")],
        # j2c4, not scored yet: no judged conversation for the resolution rate, but one
        # conversation that fails no evaluator.
        {"conversations": 1, "abandoned_outcomes": 1, "resolution_rate": None, "eval_fail_rate": 0.0},
    )


def test_stage_compliance(built: DbtWarehouse) -> None:
    compliance = by_key(built.table("marts.stage_compliance", "journey_name, stage"), "journey_name", "stage")
    # Ingestion redacts emails and cards before storing turns, so the fixture holds placeholders.
    # sign-up: j1c1 ([EMAIL]), j2c1 (phone), j2c3 (street address; agent turn redacted), j3c1 (an
    # order number, a date and an amount: no PII), j3c2, j4c1 ([EMAIL] in an agent turn), j4c2
    # (<EMAIL> marker). x1 is not counted: it is not rollup-eligible.
    assert_columns(
        compliance[("streaming_onboarding", "sign-up")],
        {
            "conversations": 7,
            "conversations_with_pii": 2,
            "pii_email": 0,
            "pii_phone": 1,
            "pii_payment_card": 0,
            "pii_iban": 0,
            "pii_postal_address": 1,
            "conversations_redacted": 4,
            "consent_granted": 1,
            "consent_denied": 1,
            "consent_withdrawn": 1,
            "consent_unknown": 4,
            "pii_rate": 2 / 7,
        },
    )
    # j1c2's card number was redacted: neither a card nor a phone number is left.
    assert_columns(
        compliance[("streaming_onboarding", "payment")],
        {
            "conversations": 4,
            "conversations_with_pii": 0,
            "pii_payment_card": 0,
            "pii_phone": 0,
            "conversations_redacted": 1,
            "consent_granted": 2,
            "consent_unknown": 2,
        },
    )
    assert_columns(compliance[("streaming_onboarding", "upsell")], {"conversations": 1, "stage_order": None})


def test_the_documented_queries_run(built: DbtWarehouse) -> None:
    """Every SQL example in docs/marts.md runs against the marts (a renamed column breaks it)."""
    queries = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "docs" / "marts.md").read_text(), re.DOTALL)
    assert len(queries) >= 7
    for query in queries:
        built.records(query)


def test_journey_map_drift(built: DbtWarehouse) -> None:
    drift = by_key(
        built.table("marts.journey_map_drift", "drift_type"), "journey_name", "drift_type", "observed"
    )
    # J2 goes back from payment to sign-up, J3 skips payment, J4 visits 'upsell'.
    assert sorted(drift) == [
        ("streaming_onboarding", "backward_transition", "payment > sign-up"),
        ("streaming_onboarding", "skipped_stages", "sign-up > content-prefs"),
        ("streaming_onboarding", "undeclared_stage", "upsell"),
    ]
    for row in drift.values():
        assert_columns(row, {"observations": 1, "journeys": 1, "share_of_journeys": 0.25})
