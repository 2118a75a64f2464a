"""Effective consent: what each conversation's customer last decided, stated or inherited.

A conversation states a decision with `customer.ai_evaluation_consent` / `customer.recording_consent`
(booleans) or `customer.consent` (granted sets both true, denied and withdrawn both false; the
booleans win), on any span or the resource (raw.conversations' `ai_evaluation_consent` and
`recording_consent`). Its effective consent, for each of the two, is the most recent decision
stated in any conversation of the same `customer_id` that started at or before it, in every
journey, stage and channel; without one, `JOURNEYS_CONSENT_DEFAULT`. Ingestion writes it to
raw.customer_consent before any evaluator runs, and everything else reads that table.
"""

from __future__ import annotations

from datetime import date

import duckdb

from orchestration.ingest.conventions import CONSENT_ATTRIBUTES
from orchestration.warehouse import RAW_SCHEMA

# raw.customer_consent column -> raw.conversations' stated column.
CONSENT_COLUMNS: dict[str, str] = {column.removesuffix("_consent"): column for column in CONSENT_ATTRIBUTES}
CONSENT_DEFAULTS = {"allow": True, "deny": False}


def consent_sql(targets: str, default: bool) -> str:
    """Effective consent of the raw.conversations rows matching `targets` (a predicate on
    `conversation`): conversation_id, customer_id, started_at, then for each of ai_evaluation and
    recording the value, its source (`stated` here, `inherited` from an earlier conversation,
    `default`) and the conversation that stated it."""
    decisions = ",\n".join(
        f"""{name}_decisions as (
    select customer_id, started_at, conversation_id, {stated} as value
    from {RAW_SCHEMA}.conversations where {stated} is not null and customer_id is not null
)"""
        for name, stated in CONSENT_COLUMNS.items()
    )
    columns = ",\n    ".join(
        f"coalesce(conversation.{stated}, {name}.value, {str(default).lower()}) as {name},\n    "
        f"case when conversation.{stated} is not null then 'stated' when {name}.value is not null then 'inherited'"
        f" else 'default' end as {name}_source,\n    "
        f"case when conversation.{stated} is not null then conversation.conversation_id"
        f" else {name}.conversation_id end as {name}_stated_in"
        for name, stated in CONSENT_COLUMNS.items()
    )
    joins = "\n".join(
        f"asof left join {name}_decisions as {name}"
        f" on conversation.customer_id = {name}.customer_id and conversation.started_at >= {name}.started_at"
        for name in CONSENT_COLUMNS
    )
    return f"""
with {decisions}
select conversation.conversation_id, conversation.customer_id, conversation.started_at,
    {columns}
from {RAW_SCHEMA}.conversations as conversation
{joins}
where {targets}
"""


def customer_consent_changes(con: duckdb.DuckDBPyConnection, day: date, default: bool) -> list[date]:
    """Later days whose stored effective consent differs from what the raw tables now give: a
    late file that adds an earlier decision changes them, and they are re-materialized (as days
    a late span adds to are)."""
    later = f"""conversation.partition_date > $day and conversation.customer_id in (
        select customer_id from {RAW_SCHEMA}.conversations where partition_date = $day)"""
    compared = ", ".join(["conversation_id", *CONSENT_COLUMNS])
    rows = con.execute(
        f"""
        select distinct conversation.partition_date from (
            select {compared} from ({consent_sql(later, default)})
            except
            select {compared} from {RAW_SCHEMA}.customer_consent
        ) as changed
        join {RAW_SCHEMA}.conversations as conversation using (conversation_id)
        order by 1
        """,
        {"day": day},
    ).fetchall()
    return [d for (d,) in rows]
