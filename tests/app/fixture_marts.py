"""A small, realistic serving snapshot for the dashboard's tests and screenshots.

Conversations are generated first (seeded, so every run is identical), then every mart is
derived from them with SQL in an in-memory DuckDB `marts` schema, and published with the real
`orchestration.serving.publish_snapshot`. Deriving the marts from one conversation table keeps
them consistent with each other, so a number on one page agrees with the conversations a
drill-down opens.

Planted signal, so the pages have something to find:
- streaming_onboarding: `payment` completes least; hand-offs into `app-install` lose context.
- billing_dispute: `investigation` completes least and resolves least.

Run `python tests/app/fixture_marts.py DIR` to publish it into DIR (for a manual look with
`JOURNEYS_SERVING_DIR=DIR streamlit run app/streamlit_app.py`).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orchestration.serving import publish_snapshot

SEED = 20261125
FIRST_MONDAY = datetime(2026, 10, 26)  # ISO week 2026-W44
WEEKS = 4
JOURNEYS_PER_NAME = 64
SEGMENTS = ("consumer", "small_business", "enterprise")

# Journey names, stages and channels as in the repo's journey_map.yaml.
STAGES: dict[str, tuple[str, ...]] = {
    "streaming_onboarding": ("sign-up", "payment", "content-prefs", "app-install", "first-watch"),
    "billing_dispute": ("dispute-intake", "identity-check", "investigation", "refund-decision"),
}
CHANNELS: dict[str, tuple[str, ...]] = {
    "streaming_onboarding": ("chat", "voice", "email", "sms"),
    "billing_dispute": ("chat", "voice", "email"),
}
# Probability that a visit to the stage ends with `completed`.
COMPLETION: dict[str, float] = {"payment": 0.62, "investigation": 0.55}
DEFAULT_COMPLETION = 0.9
LOW_RESOLUTION_STAGES = {"investigation", "payment"}
LOW_RETENTION_STAGES = {"app-install"}
PII_TYPES = ("email", "phone", "card_number")
THRESHOLDS = {"resolution": 0.7, "quality": 0.6, "context_retention": 0.7}


@dataclass
class _Conversation:
    row: dict[str, Any]
    completed: bool
    reentry: bool


def _turns(stage: str, start: datetime, rng: random.Random, forgot_context: bool) -> list[dict[str, Any]]:
    lines = [
        ("customer", f"Hi, I need help with {stage.replace('-', ' ')} on my account."),
        ("agent", "Of course. Could you confirm the email on the account?"),
        ("customer", "It's jamie@example.com, I already gave it to the previous agent."),
        (
            "agent",
            "Could you tell me your account number again?"
            if forgot_context
            else "Thanks, I can see your earlier conversation and the details you shared.",
        ),
        ("customer", "Sure. Is it sorted now?"),
        ("agent", "Yes, that is done. Anything else I can help with?"),
    ]
    ts = start
    turns = []
    for role, text in lines:
        ts += timedelta(seconds=rng.randint(20, 90))
        turns.append({"role": role, "text": text, "ts": ts})
    return turns


def _evaluations(
    stage: str, completed: bool, rng: random.Random, forgot_context: bool, turns: list[dict[str, Any]]
) -> dict[str, Any]:
    resolution = rng.uniform(0.66, 1.0) if completed else rng.uniform(0.1, 0.6)
    if stage in LOW_RESOLUTION_STAGES:
        resolution -= 0.12
    quality = rng.uniform(0.57, 0.98)
    retention = rng.uniform(0.2, 0.55) if forgot_context else rng.uniform(0.7, 1.0)
    scores = {"resolution": resolution, "quality": quality, "context_retention": retention}
    reasons = {
        "resolution": (
            "The agent confirmed the request was completed in turn 5."
            if completed
            else "The conversation ended without the customer's request being completed."
        ),
        "quality": "Polite and clear; the agent answered each question directly.",
        "context_retention": (
            "The agent asked again for the account number the customer had already given."
            if forgot_context
            else "The agent referred back to the earlier conversation instead of re-asking."
        ),
    }
    evidence = {"resolution": 5, "quality": 1, "context_retention": 3}
    out: dict[str, Any] = {}
    for name, score in scores.items():
        score = round(min(max(score, 0.0), 1.0), 3)
        errored = rng.random() < 0.02
        out[f"{name}_score"] = None if errored else score
        out[f"{name}_passed"] = None if errored else score >= THRESHOLDS[name]
        out[f"{name}_status"] = "failed" if errored else "completed"
        out[f"{name}_reason"] = "The judge timed out." if errored else reasons[name]
        # The evals library's evidence shape (evals.types.Evidence).
        cited = [
            {
                "turn": evidence[name],
                "quote": turns[evidence[name]]["text"],
                "note": "",
                "source": "conversation",
            }
        ]
        if name == "context_retention" and forgot_context:
            # Where the customer had already given it: a turn of an earlier stage's conversation.
            cited.append(
                {"turn": 1, "quote": "my account number is 4471", "note": "given before", "source": "context"}
            )
        out[f"{name}_evidence"] = json.dumps([] if errored else cited)
    return out


def _journey(name: str, index: int, rng: random.Random) -> tuple[list[_Conversation], int | None]:
    cohort = rng.randrange(WEEKS)
    journey_id = f"{name[:3]}-j{index:03d}"
    customer_id = f"cust-{rng.randrange(10_000):04d}"
    segment = rng.choice(SEGMENTS)
    channels = CHANNELS[name]
    conversations: list[_Conversation] = []
    clock = FIRST_MONDAY + timedelta(days=7 * cohort + rng.uniform(0, 6.5))

    def talk(stage: str, channel: str, done: bool, forgot: bool, reentry: bool, outcome: str) -> None:
        nonlocal clock
        turns = _turns(stage, clock, rng, forgot)
        duration = timedelta(minutes=rng.randint(4, 25))
        pii = [p for p in PII_TYPES if rng.random() < 0.25]
        row = {
            "conversation_id": f"{journey_id}-c{len(conversations) + 1:02d}",
            "journey_id": journey_id,
            "customer_id": customer_id,
            "journey_name": name,
            "stage": stage,
            "channel": channel,
            "agent_type": "human" if channel == "voice" else "ai",
            "segment": segment,
            "consent": rng.choices(["granted", "denied", "withdrawn", "unknown"], [80, 8, 4, 8])[0],
            "started_at": clock,
            "ended_at": clock + duration,
            "outcome": outcome,
            "turns": turns,
            "pii_types": pii,
            "redacted": bool(pii) and rng.random() < 0.85,
            **_evaluations(stage, done, rng, forgot, turns),
        }
        conversations.append(_Conversation(row, done, reentry))
        clock += duration + timedelta(minutes=rng.randint(2, 10))

    completed_all = True
    # Customers mostly stay on the channel they started on.
    channel = rng.choices(channels, [50, 30, 12, 8][: len(channels)])[0]
    for position, stage in enumerate(STAGES[name]):
        if rng.random() < 0.2:
            channel = rng.choice(channels)
        stage_done = False
        for visit in range(2):  # a failed first visit may come back once, days later
            # Within a visit: sometimes a chat is escalated to voice minutes later.
            legs = [channel, "voice"] if channel == "chat" and rng.random() < 0.15 else [channel]
            for leg_number, leg in enumerate(legs):
                last_leg = leg_number == len(legs) - 1
                done = last_leg and rng.random() < COMPLETION.get(stage, DEFAULT_COMPLETION)
                forgot = (stage in LOW_RETENTION_STAGES and rng.random() < 0.6) or (
                    leg_number > 0 and rng.random() < 0.3
                )
                outcome = "completed" if done else ("handed_off" if not last_leg else "abandoned")
                talk(stage, leg, done, forgot, visit > 0 and leg_number == 0, outcome)
                stage_done = done
            if stage_done or rng.random() < 0.6:
                break
            clock += timedelta(days=rng.uniform(1.5, 4))
        if not stage_done:
            completed_all = False
            break
        # Now and then a customer goes back to the previous stage (off the intended path).
        if position >= 2 and rng.random() < 0.08:
            clock += timedelta(hours=rng.uniform(2, 24))
            talk(STAGES[name][position - 1], channel, True, False, True, "completed")
        clock += timedelta(hours=rng.uniform(2, 48))
    csat = None
    if rng.random() < 0.7:
        csat = rng.choices([1, 2, 3, 4, 5], [1, 2, 3, 4, 4] if completed_all else [5, 4, 3, 1, 1])[0]
    return conversations, csat


def _conversation_table(rng: random.Random) -> tuple[pa.Table, pa.Table]:
    rows: list[dict[str, Any]] = []
    csats: list[dict[str, Any]] = []
    index = 0
    for name, stages in STAGES.items():
        for _ in range(JOURNEYS_PER_NAME):
            index += 1
            conversations, csat = _journey(name, index, rng)
            for c in conversations:
                c.row["stage_order"] = stages.index(c.row["stage"]) + 1
                c.row["is_reentry"] = c.reentry
                rows.append(c.row)
            csats.append({"journey_id": conversations[0].row["journey_id"], "csat": csat})
    return pa.Table.from_pylist(rows), pa.Table.from_pylist(csats)


# Each mart, derived from `conv` (one row per conversation) and `csat` (one row per journey).
MART_SQL: dict[str, str] = {
    "conversation_evaluations": """
        select conv.* exclude (stage_order, is_reentry, pii_types, redacted, consent),
               consent as consent_status,
               coalesce(not resolution_passed, false) or coalesce(not quality_passed, false)
                   or coalesce(not context_retention_passed, false) as failed_any_evaluator,
               strftime(first_value(started_at) over (partition by journey_id order by started_at),
                        '%G-W%V') as cohort_week,
               started_at::date as partition_date
        from conv
    """,
    "journeys": """
        with ordered as (
            select *, lag(channel) over (partition by journey_id order by started_at) as prev_channel
            from conv
        ), per_journey as (
            select journey_id, any_value(customer_id) as customer_id, any_value(journey_name) as journey_name,
                   strftime(min(started_at), '%G-W%V') as cohort_week, any_value(segment) as segment,
                   min(started_at) as started_at, arg_max(stage, stage_order) as last_stage_reached,
                   bool_or(outcome = 'completed' and stage_order = max_order) as completed_all_stages,
                   count(distinct stage) as stages_visited,
                   string_agg(channel, ' > ' order by started_at)
                       filter (where prev_channel is null or prev_channel <> channel) as channel_sequence
            from (select *, max(stage_order) over (partition by journey_name) as max_order from ordered)
            group by journey_id
        )
        select per_journey.*, csat.csat from per_journey join csat using (journey_id)
    """,
    "stage_funnel": """
        with visits as (
            select c.journey_name, c.stage, c.stage_order, j.cohort_week, c.journey_id,
                   bool_or(c.outcome = 'completed') as completed_here, bool_or(c.is_reentry) as reentered,
                   count(*) as conversations,
                   avg(resolution_score) as res, avg(quality_score) as qual, avg(context_retention_score) as ret,
                   sum(case when coalesce(not resolution_passed, false) or coalesce(not quality_passed, false)
                            or coalesce(not context_retention_passed, false) then 1 else 0 end) as failing,
                   sum(resolution_score) as res_sum, count(resolution_score) as res_n,
                   sum(quality_score) as qual_sum, count(quality_score) as qual_n,
                   sum(context_retention_score) as ret_sum, count(context_retention_score) as ret_n,
                   any_value(j.csat) as csat
            from conv c join marts.journeys j using (journey_id)
            group by all
        ), progressed as (
            select v.*, exists (select 1 from conv l where l.journey_id = v.journey_id
                                and l.stage_order > v.stage_order) as went_later
            from visits v
        )
        select journey_name, stage, cohort_week, any_value(stage_order) as stage_order,
               count(*) as entered,
               count(*) filter (where completed_here or went_later) as completed,
               count(*) filter (where completed_here or went_later) / count(*) as completion_rate,
               count(*) filter (where reentered) as reentered,
               count(*) filter (where reentered) / count(*) as reentry_rate,
               sum(conversations) as conversations,
               sum(res_sum) / nullif(sum(res_n), 0) as avg_resolution,
               sum(qual_sum) / nullif(sum(qual_n), 0) as avg_quality,
               sum(ret_sum) / nullif(sum(ret_n), 0) as avg_context_retention,
               sum(failing) / sum(conversations) as eval_fail_rate,
               count(csat) as journeys_with_csat, avg(csat) as avg_csat
        from progressed group by journey_name, stage, cohort_week
    """,
    "channel_mix": """
        with overall as (select journey_name, avg(csat) as name_csat from marts.journeys group by 1)
        select journey_name, channel_sequence, count(*) as journeys,
               avg(case when completed_all_stages then 1.0 else 0.0 end) as completion_rate,
               count(csat) as journeys_with_csat, avg(csat) as avg_csat,
               avg(csat) - any_value(name_csat) as csat_lift
        from marts.journeys join overall using (journey_name)
        group by journey_name, channel_sequence
    """,
    "stage_handoffs": """
        with firsts as (
            select journey_id, journey_name, stage, stage_order, min(started_at) as first_at,
                   arg_min(context_retention_score, started_at) as retention,
                   arg_min(context_retention_passed, started_at) as retention_passed
            from conv group by all
        ), steps as (
            select *, lag(stage) over (partition by journey_id order by first_at) as from_stage from firsts
        )
        select journey_name, from_stage, stage as to_stage, count(*) as transitions,
               case when stage = 'app-install' then 0.75 else 0.70 end as min_context_retention,
               avg(retention) as avg_context_retention,
               avg(case when retention_passed then 0.0 else 1.0 end)
                   filter (where retention_passed is not null) as retention_fail_rate
        from steps where from_stage is not null group by all
    """,
    "daily_stage_metrics": """
        select cast(started_at as date) as date, journey_name, stage, channel, count(*) as conversations,
               avg(case when resolution_passed then 1.0 else 0.0 end)
                   filter (where resolution_passed is not null) as resolution_rate,
               avg(resolution_score) as avg_resolution, avg(quality_score) as avg_quality,
               avg(context_retention_score) as avg_context_retention
        from conv group by all
    """,
    "stage_compliance": """
        select journey_name, stage, any_value(stage_order) as stage_order, count(*) as conversations,
               count(*) filter (where len(pii_types) > 0) as conversations_with_pii,
               count(*) filter (where list_contains(pii_types, 'email')) as pii_email,
               count(*) filter (where list_contains(pii_types, 'phone')) as pii_phone,
               count(*) filter (where list_contains(pii_types, 'card_number')) as pii_payment_card,
               count(*) filter (where list_contains(pii_types, 'iban')) as pii_iban,
               count(*) filter (where redacted) as conversations_redacted,
               count(*) filter (where consent = 'granted') as consent_granted,
               count(*) filter (where consent = 'denied') as consent_denied,
               count(*) filter (where consent = 'withdrawn') as consent_withdrawn,
               count(*) filter (where consent = 'unknown') as consent_unknown,
               count(*) filter (where len(pii_types) > 0) / count(*) as pii_rate
        from conv group by all
    """,
    "friction_ranking": """
        with done as (
            select c.conversation_id,
                   exists (select 1 from conv l where l.journey_id = c.journey_id and l.stage = c.stage
                           and l.outcome = 'completed')
                   or exists (select 1 from conv l where l.journey_id = c.journey_id
                              and l.stage_order > c.stage_order) as completed
            from conv c
        ), cells as (
            select c.journey_name, c.stage, e.cohort_week, c.channel, count(*) as conversations,
                   avg(case when d.completed then 1.0 else 0.0 end) as completion_rate,
                   avg(c.context_retention_score) as avg_context_retention,
                   avg(c.resolution_score) as avg_resolution
            from conv c join marts.conversation_evaluations e using (conversation_id) join done d using (conversation_id)
            group by all having count(*) >= 3
        ), gaps as (
            select *, avg(completion_rate) over (partition by journey_name) - completion_rate as completion_gap
            from cells
        )
        select row_number() over (order by completion_gap * conversations desc) as rank,
               journey_name, stage, cohort_week, channel, conversations, completion_rate,
               completion_gap, completion_gap * conversations as journeys_lost,
               format('{} over {} completes {:.0f}% vs {:.0f}% for the journey; resolution {:.2f}, '
                      || 'context retention {:.2f}', stage, channel, 100 * completion_rate,
                      100 * (completion_rate + completion_gap), avg_resolution, avg_context_retention)
                   as explanation
        from gaps where completion_gap > 0
    """,
    "routing_signals": """
        select journey_name, stage, cohort_week, channel,
               'route_to_human_earlier' as recommendation,
               'resolution' as metric, avg(resolution_score) as observed_value, 0.7 as threshold,
               count(*) as conversations,
               min(started_at) as window_start, max(started_at) as window_end
        from marts.conversation_evaluations
        group by all having count(*) >= 3 and avg(resolution_score) < 0.7
        union all
        select journey_name, to_stage, null, null, 'add_context_bridge', 'context_retention',
               avg_context_retention, 0.7, transitions, null, null
        from marts.stage_handoffs where avg_context_retention < 0.7
    """,
    "journey_guard": """
        select journey_name, stage, next_stage, completion_change, next_stage_completion_change,
               next_stage_retention_change, is_net_negative, explanation
        from (values
            ('streaming_onboarding', 'content-prefs', 'app-install', 0.08, -0.12, -0.21, true,
             'content-prefs completes 8 points more than the week before while app-install completes 12 points less'),
            ('streaming_onboarding', 'sign-up', 'payment', 0.01, 0.02, 0.00, false, 'no net-negative change'),
            ('billing_dispute', 'identity-check', 'investigation', -0.03, 0.01, 0.02, false, 'no net-negative change')
        ) as t(journey_name, stage, next_stage, completion_change, next_stage_completion_change,
               next_stage_retention_change, is_net_negative, explanation)
    """,
    "journey_map_drift": """
        select journey_name, drift_type, observed, channel, observations, journeys, description
        from (values
            ('streaming_onboarding', 'undeclared_transition', 'payment > sign-up', null, 14, 11,
             '11 journeys went back from payment to sign-up, which the journey map does not declare'),
            ('billing_dispute', 'undeclared_channel', 'sms', 'sms', 3, 2,
             '2 journeys used sms, which the journey map does not allow for billing_dispute')
        ) as t(journey_name, drift_type, observed, channel, observations, journeys, description)
    """,
}
# Created in this order because later marts read earlier ones.
MART_ORDER = (
    "conversation_evaluations",
    "journeys",
    "stage_funnel",
    "channel_mix",
    "stage_handoffs",
    "daily_stage_metrics",
    "stage_compliance",
    "friction_ranking",
    "routing_signals",
    "journey_guard",
    "journey_map_drift",
)


CELLS_MART = "daily_evaluation_cells"
TRANSITIONS_MART = "daily_step_transitions"
# `daily_step_transitions` (as dbt builds it) over the fixture's conversations.
TRANSITIONS_SQL = """
    with steps as (
        select *, lag(stage) over w as from_stage, lag(channel) over w as from_channel,
               lag(segment) over w as from_segment, lag(partition_date) over w as from_date
        from marts.conversation_evaluations
        window w as (partition by journey_id order by started_at, conversation_id)
    )
    select journey_name, cohort_week, segment, from_segment, from_stage, from_channel,
           stage as to_stage, channel as to_channel, from_date, count(*) as moves, partition_date
    from steps
    where from_stage is not null and (from_stage <> stage or from_channel <> channel)
    group by all
"""


def _cells_sql(con: duckdb.DuckDBPyConnection) -> str:
    """`daily_evaluation_cells` (as dbt builds it) over the fixture's conversations, made after
    them since the declined conversations' consent columns are added last."""
    held = {
        name
        for (name,) in con.execute(
            "select column_name from (describe marts.conversation_evaluations)"
        ).fetchall()
    }
    declined = (
        "sum(case when not coalesce(ai_evaluation_consent, true) or not coalesce(transcript_kept, true) "
        "then 1 else 0 end)"
        if {"ai_evaluation_consent", "transcript_kept"} <= held
        else "0"
    )
    per_evaluator = "".join(
        f", sum({p}_score) as {p}_score_sum, count({p}_score) as {p}_scored_count"
        f", count(*) filter (where {p}_passed) as {p}_passed_count, count({p}_passed) as {p}_judged_count"
        for p in THRESHOLDS
    )
    return f"""
        select partition_date, journey_name, stage, channel, segment, cohort_week,
               count(*) as conversations, count(*) filter (where failed_any_evaluator) as failing_conversations,
               {declined} as declined_conversations {per_evaluator}
        from marts.conversation_evaluations
        group by all
    """


def build_fixture_snapshot(
    serving_dir: Path, omit: frozenset[str] = frozenset(), declined: tuple[str, ...] = ()
) -> Path:
    """Publish the fixture marts (minus `omit`) under `serving_dir`; return the snapshot path.
    With `declined` conversation ids, `conversation_evaluations` gets the consent columns, those
    conversations' customers having declined AI evaluation."""
    conv, csat = _conversation_table(random.Random(SEED))
    con = duckdb.connect()
    try:
        con.register("conv", conv)
        con.register("csat", csat)
        con.execute("create schema marts")
        for mart in MART_ORDER:
            con.execute(f"create table marts.{mart} as {MART_SQL[mart]}")
        for mart in omit:
            con.execute(f"drop table marts.{mart}")
        if declined:
            con.execute(
                "create or replace table marts.conversation_evaluations as "
                "select *, not list_contains(?::varchar[], conversation_id) as ai_evaluation_consent, "
                "true as transcript_kept from marts.conversation_evaluations",
                [list(declined)],
            )
        if "conversation_evaluations" not in omit:
            con.execute(f"create table marts.{CELLS_MART} as {_cells_sql(con)}")
            con.execute(f"create table marts.{TRANSITIONS_MART} as {TRANSITIONS_SQL}")
        return publish_snapshot(con, serving_dir, journey_map_version="1").path
    finally:
        con.close()


if __name__ == "__main__":
    print(build_fixture_snapshot(Path(sys.argv[1]).resolve()))
