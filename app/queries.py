"""The SQL behind each chart and table, over the marts of one serving snapshot.

Each function returns a DataFrame plus the `Clause` that says which of the sidebar's filters
shaped it. Definitions (completion, re-entry, lift) live in dbt; the only numbers computed here
are re-aggregations of a mart over the filtered rows (sums of counts, rates of sums). Per-stage
evaluator figures come from `daily_evaluation_cells`, whose grain takes every filter and whose
sums and counts re-aggregate exactly, so a page's cost does not grow with the conversations of
the history; `conversation_evaluations` is read only for the rows a list shows, day by day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from app.data import columns, query
from app.filters import Clause, Filters, clause
from evals import registry
from evals.registry import EvaluatorSpec
from orchestration.serving import Snapshot

# Counts and sums per day and filter cell (dbt_project/models/marts/daily_evaluation_cells.sql).
CELLS = "daily_evaluation_cells"
CONVERSATIONS = "conversation_evaluations"
# Moves between a journey's consecutive steps per day (daily_step_transitions.sql).
TRANSITIONS = "daily_step_transitions"


@dataclass(frozen=True)
class Result:
    frame: pd.DataFrame
    clause: Clause


@dataclass(frozen=True)
class FilterOptions:
    journeys: tuple[str, ...]
    cohorts: tuple[str, ...]
    segments: tuple[str, ...]
    channels: tuple[str, ...]
    first_day: date | None
    last_day: date | None


def evaluators() -> tuple[EvaluatorSpec, ...]:
    """The evaluators the marts pivot into columns, from the registry (in its order)."""
    return registry.specs()


def evaluator_prefixes(cols: frozenset[str], marker: str = "_score") -> dict[EvaluatorSpec, str]:
    """Which column prefix each evaluator has in a mart (its registry prefix or full name):
    `conversation_evaluations` has `<prefix>_score`, `daily_evaluation_cells`
    `<prefix>_score_sum` (pass `marker`); evaluators without that column are left out."""
    found = {}
    for ev in evaluators():
        prefix = next((p for p in (ev.prefix, ev.name) if f"{p}{marker}" in cols), None)
        if prefix:
            found[ev] = prefix
    return found


def _run(snapshot: Snapshot, where: Clause, sql: str) -> Result:
    """Run `sql`, an f-string that placed `where.sql`, with the clause's parameters."""
    return Result(query(snapshot, sql, where.params), where)


def _stage_order_source(snapshot: Snapshot) -> str:
    """Journey-map order of each stage, from `stage_funnel`; an empty relation without it, so
    a page missing that mart still lists its stages (in name order)."""
    if snapshot.has("stage_funnel"):
        return "select distinct journey_name, stage, stage_order from stage_funnel"
    return "select null::varchar as journey_name, null::varchar as stage, null::integer as stage_order where false"


def _distinct(snapshot: Snapshot, mart: str, column: str) -> tuple[str, ...]:
    if column not in columns(snapshot, mart):
        return ()
    frame = query(snapshot, f'select distinct "{column}" as v from {mart} where v is not null order by v')
    return tuple(str(v) for v in frame["v"])


def _day_bounds(snapshot: Snapshot) -> tuple[date | None, date | None]:
    """The first and last day with conversations, from a per-day aggregate (never from every
    conversation of the history)."""
    mart = next((m for m in (CELLS, "daily_stage_metrics") if "partition_date" in columns(snapshot, m)), None)
    if mart is None:
        return None, None
    row = query(snapshot, f"select min(partition_date) as lo, max(partition_date) as hi from {mart}").iloc[0]
    if pd.isna(row["lo"]):
        return None, None
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


def filter_options(snapshot: Snapshot) -> FilterOptions:
    """The values the sidebar offers, read from the aggregate marts that carry each dimension."""

    def first(*sources: tuple[str, str]) -> tuple[str, ...]:
        return next((found for mart, col in sources if (found := _distinct(snapshot, mart, col))), ())

    first_day, last_day = _day_bounds(snapshot)
    return FilterOptions(
        journeys=first(("stage_funnel", "journey_name"), ("journeys", "journey_name")),
        cohorts=first(("stage_funnel", "cohort_week"), ("journeys", "cohort_week")),
        segments=first(("journeys", "segment"), (CELLS, "segment")),
        channels=first((CELLS, "channel"), ("daily_stage_metrics", "channel")),
        first_day=first_day,
        last_day=last_day,
    )


def funnel(snapshot: Snapshot, filters: Filters) -> Result:
    """Entered, completed and re-entered per stage, summed over the selected cohorts."""
    where = clause(filters, columns(snapshot, "stage_funnel"))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, stage, min(stage_order) as stage_order,
               sum(entered)::bigint as entered, sum(completed)::bigint as completed,
               sum(completed) / nullif(sum(entered), 0) as completion_rate,
               sum(reentered)::bigint as reentered,
               sum(reentered) / nullif(sum(entered), 0) as reentry_rate,
               sum(conversations)::bigint as conversations
        from stage_funnel {where.sql}
        group by journey_name, stage
        order by journey_name, stage_order
        """,
    )


def funnel_by_cohort(snapshot: Snapshot, filters: Filters) -> Result:
    where = clause(filters, columns(snapshot, "stage_funnel"))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, stage, stage_order, cohort_week, entered, completed, completion_rate,
               reentry_rate
        from stage_funnel {where.sql}
        order by journey_name, cohort_week, stage_order
        """,
    )


def csat_trend(snapshot: Snapshot, filters: Filters) -> Result:
    """Journey CSAT per cohort week, from `marts.journeys` (one CSAT per journey)."""
    where = clause(filters, columns(snapshot, "journeys"))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, cohort_week, count(*) as journeys, count(csat) as journeys_with_csat,
               avg(csat) as avg_csat
        from journeys {where.sql}
        group by journey_name, cohort_week
        order by journey_name, cohort_week
        """,
    )


def stage_evaluations(snapshot: Snapshot, filters: Filters) -> Result:
    """Per stage: conversations, each evaluator's mean score and pass rate, and the share of
    conversations failing any evaluator, re-aggregated from the per-day cells (sums of sums
    over sums of counts: the same figures as averaging the conversations themselves)."""
    cols = columns(snapshot, CELLS)
    where = clause(filters, cols, prefix="c.")
    per_evaluator = "".join(
        f", sum(c.{p}_score_sum) / nullif(sum(c.{p}_scored_count), 0) as {ev.prefix}_score"
        f", sum(c.{p}_passed_count) / nullif(sum(c.{p}_judged_count), 0) as {ev.prefix}_pass_rate"
        for ev, p in evaluator_prefixes(cols, "_score_sum").items()
    )
    return _run(
        snapshot,
        where,
        f"""
        with stage_order as ({_stage_order_source(snapshot)})
        select c.journey_name, c.stage, coalesce(min(o.stage_order), 99) as stage_order,
               sum(c.conversations)::bigint as conversations {per_evaluator},
               sum(c.failing_conversations)::bigint as failing,
               sum(c.failing_conversations) / sum(c.conversations) as eval_fail_rate
        from {CELLS} c
        left join stage_order o on o.journey_name = c.journey_name and o.stage = c.stage
        {where.sql}
        group by c.journey_name, c.stage
        order by c.journey_name, stage_order, c.stage
        """,
    )


def fail_rate_trend(snapshot: Snapshot, filters: Filters) -> Result:
    """Eval-fail-rate per stage and ISO week ('2026-W45', like cohorts) of the conversation's
    start: partition_date is that start's UTC date, so the week is the same."""
    where = clause(filters, columns(snapshot, CELLS))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, stage, strftime(partition_date, '%G-W%V') as week,
               sum(conversations)::bigint as conversations,
               sum(failing_conversations) / sum(conversations) as eval_fail_rate
        from {CELLS} {where.sql}
        group by all
        order by journey_name, stage, week
        """,
    )


def handoffs(snapshot: Snapshot, filters: Filters) -> Result:
    """Hand-offs between stages with their retention and the journey map's threshold for it."""
    cols = columns(snapshot, "stage_handoffs")
    where = clause(filters, cols, prefix="h.")
    return _run(
        snapshot,
        where,
        f"""
        with stage_order as ({_stage_order_source(snapshot)})
        select h.journey_name, h.from_stage, h.to_stage, h.transitions, h.avg_context_retention,
               h.retention_fail_rate, f.stage_order as from_order, t.stage_order as to_order,
               h.min_context_retention
        from stage_handoffs h
        left join stage_order f on f.journey_name = h.journey_name and f.stage = h.from_stage
        left join stage_order t on t.journey_name = h.journey_name and t.stage = h.to_stage
        {where.sql}
        order by h.journey_name, from_order, to_order, h.from_stage, h.to_stage
        """,
    )


def channel_mix(snapshot: Snapshot, filters: Filters) -> Result:
    where = clause(filters, columns(snapshot, "channel_mix"))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, channel_sequence, journeys, completion_rate, journeys_with_csat,
               avg_csat, csat_lift
        from channel_mix {where.sql}
        order by journey_name, journeys desc, channel_sequence
        """,
    )


def observed_transitions(snapshot: Snapshot, filters: Filters) -> Result:
    """Moves between consecutive (stage, channel) steps of each journey, counted for the
    Sankey from `daily_step_transitions` (a conversation on the same stage and channel as the
    previous one is no move). Under a date range or a segment, a move counts when both its
    conversations are kept: the moves between consecutive conversations among those kept."""
    cols = columns(snapshot, TRANSITIONS)
    # A channel filter would cut conversations out of the middle of paths, so it is not applied.
    where = clause(filters.only("journeys", "cohorts", "segments", "dates"), cols)
    if filters.segments:
        where = where.and_("list_contains(?::varchar[], from_segment)", list(filters.segments))
    if filters.start:
        where = where.and_("from_date >= ?", filters.start)
    if filters.channels:
        where = Clause(where.sql, where.params, where.applied, (*where.not_applied, "channels"))
    return _run(
        snapshot,
        where,
        f"""
        select journey_name, from_stage, from_channel, to_stage, to_channel, sum(moves)::bigint as journeys
        from {TRANSITIONS} {where.sql}
        group by all
        order by journey_name, journeys desc, from_stage, from_channel, to_stage, to_channel
        """,
    )


def stage_order(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """The journey map's intended path, as the marts record it."""
    where = clause(filters.only("journeys"), columns(snapshot, "stage_funnel"))
    return query(
        snapshot,
        f"select distinct journey_name, stage, stage_order from stage_funnel {where.sql} "
        "order by journey_name, stage_order",
        where.params,
    )


def _days_newest_first(
    snapshot: Snapshot, filters: Filters, stages: list[str], counted: str
) -> list[tuple[date, int]] | None:
    """Per day with any, newest first: how many conversations the cells count (`counted`, a
    count column of `daily_evaluation_cells`) under the filters and stages. A text search
    narrows a list further, so for it these are upper bounds. None without the cells mart."""
    cols = columns(snapshot, CELLS)
    if counted not in cols:
        return None
    where = clause(filters, cols)
    if stages:
        where = where.and_("list_contains(?::varchar[], stage)", stages)
    frame = query(
        snapshot,
        f"select partition_date, sum({counted})::bigint as n from {CELLS} {where.sql} "
        f"group by partition_date having sum({counted}) > 0 order by partition_date desc",
        where.params,
    )
    return [(pd.Timestamp(day).date(), int(n)) for day, n in zip(frame["partition_date"], frame["n"])]


def _newest_rows(
    snapshot: Snapshot,
    where: Clause,
    select: Callable[[str], str],
    days: list[tuple[date, int]] | None,
    limit: int,
    offset: int,
) -> pd.DataFrame:
    """Rows `offset` to `offset + limit` of `select(where_sql)` ordered newest first (the
    statement's own `order by started_at desc`), reading only the days that hold them.

    `days` (newest first, with a count per day that is exact or an upper bound) picks the
    fewest newest days that can hold the rows still needed; those days are read with a range
    on `partition_date`, which prunes the other days' files, and the next days only if a
    search left the page short. Without `days` (no cells mart) every day is read."""
    if days is None:
        return query(snapshot, f"{select(where.sql)} limit {int(limit)} offset {int(offset)}", where.params)
    skip, wanted, parts, i = int(offset), int(limit), [], 0
    while wanted > 0 and i < len(days):
        batch, covered = [], 0
        while i < len(days) and covered < skip + wanted:
            batch.append(days[i][0])
            covered += days[i][1]
            i += 1
        in_batch = where.and_("partition_date between ? and ?", batch[-1], batch[0])
        frame = query(snapshot, f"{select(in_batch.sql)} limit {skip + wanted}", in_batch.params)
        kept = frame.iloc[skip:]
        skip = max(0, skip - len(frame))
        wanted -= len(kept)
        parts.append(kept)
    if not parts:
        return query(snapshot, f"{select(where.sql)} limit 0", where.params)
    return pd.concat(parts, ignore_index=True)


def conversations(
    snapshot: Snapshot,
    filters: Filters,
    stages: list[str],
    failing_only: bool,
    search: str,
    limit: int,
    offset: int = 0,
) -> Result:
    """The conversations behind a number: filtered list, newest first, `limit` rows from
    `offset` (one more when there is a next page), read from the newest days that hold them."""
    cols = columns(snapshot, CONVERSATIONS)
    prefixes = evaluator_prefixes(cols)
    where = clause(filters, cols)
    if stages:
        where = where.and_("list_contains(?::varchar[], stage)", stages)
    if failing_only:
        where = where.and_("failed_any_evaluator")
    if search:
        text = "array_to_string(list_transform(turns, lambda t: t.text), ' ')" if "turns" in cols else "''"
        if "ai_evaluation_consent" in cols:  # a declined customer's text is not searchable either
            text = f"case when ai_evaluation_consent then {text} else '' end"
        ids = [c for c in ("conversation_id", "journey_id", "customer_id") if c in cols]
        haystack = " || ' ' || ".join([*(f"coalesce({c}, '')" for c in ids), text])
        where = where.and_(f"({haystack}) ilike ?", f"%{search}%")
    # What a reader scans first (where, how it scored, how it ended) comes first.
    leading = [c for c in ("conversation_id", "stage", "channel") if c in cols]
    trailing = [
        c
        for c in (
            "outcome",
            "ai_evaluation_consent",
            "transcript_kept",
            "started_at",
            "agent_type",
            "segment",
            "cohort_week",
            "journey_id",
            "journey_name",
        )
        if c in cols
    ]
    scores = "".join(f", {p}_score as {ev.prefix}_score" for ev, p in prefixes.items())

    def select(where_sql: str) -> str:
        return (
            f"select {', '.join(leading)} {scores}, failed_any_evaluator as failing, {', '.join(trailing)} "
            f"from {CONVERSATIONS} {where_sql} order by started_at desc, conversation_id"
        )

    days = _days_newest_first(
        snapshot, filters, stages, "failing_conversations" if failing_only else "conversations"
    )
    return Result(_newest_rows(snapshot, where, select, days, int(limit) + 1, offset), where)


def declined_conversations(snapshot: Snapshot, filters: Filters, limit: int) -> Result:
    """Conversations of customers who declined AI evaluation or recording, newest first: the
    Compliance page lists them, as no other page shows their transcripts. Only the newest days
    that hold them are read."""
    cols = columns(snapshot, CONVERSATIONS)
    where = clause(filters, cols)
    # An older snapshot without the consent columns has no declined conversation to list.
    declined = [f"not coalesce({c}, true)" for c in ("ai_evaluation_consent", "transcript_kept") if c in cols]
    where = where.and_(f"({' or '.join(declined) or 'false'})")
    shown = [
        c
        for c in (
            "conversation_id",
            "stage",
            "channel",
            "ai_evaluation_consent",
            "transcript_kept",
            "started_at",
        )
        if c in cols
    ]

    def select(where_sql: str) -> str:
        return f"select {', '.join(shown)} from {CONVERSATIONS} {where_sql} order by started_at desc, conversation_id"

    days = _days_newest_first(snapshot, filters, [], "declined_conversations")
    return Result(_newest_rows(snapshot, where, select, days, limit, 0), where)


def conversation(snapshot: Snapshot, conversation_id: str, day: date | None = None) -> pd.Series | None:
    """One conversation with its turns and every evaluator column, or None if unknown.

    Read from its day's partition only, whose file is sorted by id so one row group is read:
    `day` is the UTC date it started, which a list row gives (`started_at`); without it (an id
    from a link) the day is found first from the id column of every day, which grows with the
    history (30 ms over 7 days of 20k conversations), hence the list's day when there is one."""
    if day is None:
        found = query(
            snapshot,
            f"select partition_date from {CONVERSATIONS} where conversation_id = ? limit 1",
            [conversation_id],
        )
        if found.empty:
            return None
        day = found.iloc[0]["partition_date"]
    frame = query(
        snapshot,
        f"select * from {CONVERSATIONS} where partition_date = ? and conversation_id = ? limit 1",
        [day, conversation_id],
    )
    return None if frame.empty else frame.iloc[0]


def listed_conversation(snapshot: Snapshot, listed: pd.DataFrame, conversation_id: str) -> pd.Series | None:
    """`conversation`, for an id picked from a list's rows (`listed`): its day from the row's
    `started_at` when the list holds it."""
    rows = listed[listed["conversation_id"] == conversation_id] if "started_at" in listed else listed.iloc[:0]
    return conversation(snapshot, conversation_id, rows["started_at"].iloc[0].date() if len(rows) else None)


def per_mart(snapshot: Snapshot, mart: str, filters: Filters) -> Result:
    """Every column of a mart, filtered where it can be (compliance, friction, routing); a row
    without a channel, cohort or segment holds for every one."""
    where = clause(filters, columns(snapshot, mart), null_is_any=True)
    return _run(snapshot, where, f"select * from {mart} {where.sql}")
