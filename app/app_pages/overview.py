"""Overview, for the product manager: where journeys stall, and what the evaluators say there."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app import charts, notices, page_frame, queries, tables, url_sync
from app.formatting import count, escape_markdown, pct, score, signed

FRICTION_SHOWN = 5

snapshot, filters = page_frame.page_header(
    "Overview",
    "For the product manager: the funnel of each journey, the stage that loses the most journeys "
    "with the evaluator signal there, CSAT over cohorts, and the cells that cost the most.",
)


def biggest_dropoff(stages: pd.DataFrame) -> pd.Series:
    """The stage that loses the most journeys (entered but not completed); the lower
    completion rate breaks a tie."""
    lost = stages["entered"] - stages["completed"]
    ranked = stages.assign(lost=lost).sort_values(["lost", "completion_rate"], ascending=[False, True])
    return ranked.iloc[0]


def dropoff_panel(journey: str, worst: pd.Series, stages: pd.DataFrame, signal: pd.DataFrame) -> None:
    st.markdown(f"#### Biggest drop-off: **{escape_markdown(str(worst['stage']))}**")
    others = stages[stages["stage"] != worst["stage"]]
    others_rate = others["completed"].sum() / others["entered"].sum() if others["entered"].sum() else None
    st.metric(
        "Completion rate",
        pct(worst["completion_rate"]),
        delta=f"{(worst['completion_rate'] - others_rate) * 100:+.1f} pp vs other stages"
        if others_rate
        else None,
        help="Journeys that completed the stage (outcome completed, or reached a later stage) "
        "out of those that entered it.",
    )
    st.caption(
        f"{count(worst['lost'])} of {count(worst['entered'])} journeys that entered it did not complete it; "
        f"re-entry {pct(worst['reentry_rate'])}."
    )
    here = signal[signal["stage"] == worst["stage"]]
    rest = signal[signal["stage"] != worst["stage"]]
    if here.empty:
        st.caption("No evaluated conversations at this stage.")
        return
    here_row = here.iloc[0]
    st.markdown("**Evaluator signal at this stage** (vs the journey's other stages)")
    gaps: dict[str, float] = {}
    columns = st.columns(2)
    shown = [ev for ev in queries.evaluators() if f"{ev.prefix}_score" in signal.columns]
    for i, ev in enumerate(shown):
        column = f"{ev.prefix}_score"
        weights = rest["conversations"].where(rest[column].notna(), 0)
        baseline = (rest[column].fillna(0) * weights).sum() / weights.sum() if weights.sum() else None
        value = here_row[column]
        gap = value - baseline if baseline is not None and pd.notna(value) else None
        columns[i % 2].metric(
            ev.label,
            score(value),
            delta=signed(gap) if gap is not None else None,
            # A gap that rounds to 0.00 is no signal: no red or green arrow for it.
            delta_color="normal" if gap is not None and abs(gap) >= 0.005 else "off",
        )
        if gap is not None:
            gaps[ev.label] = gap
    columns[len(shown) % 2].metric(
        "Eval-fail rate",
        pct(here_row["eval_fail_rate"]),
        help="Share of the stage's conversations that fail at least one evaluator.",
    )
    if gaps:
        weakest = min(gaps, key=lambda label: gaps[label])
        if gaps[weakest] < 0:
            st.markdown(f"Weakest signal: **{weakest}**, {abs(gaps[weakest]):.2f} below the other stages.")
    failing = int(here_row["failing"])
    if failing:
        drill_filters = replace(filters.only("cohorts"), journeys=(journey,))
        url_sync.drilldown_link(
            f"Open the {failing} failing conversations at {worst['stage']}",
            drill_filters,
            stage=str(worst["stage"]),
            failing="1",
        )


st.header("Funnel per journey")
if notices.require_mart(snapshot, "stage_funnel", "the funnel"):
    result = queries.funnel(snapshot, filters)
    # The evaluator signal beside the funnel describes the same journeys: the funnel's grain
    # takes only the journey and cohort filters, so the signal uses just those too.
    signal = (
        queries.stage_evaluations(snapshot, filters.only("journeys", "cohorts")).frame
        if snapshot.has(queries.CELLS)
        else pd.DataFrame(columns=["journey_name", "stage"])
    )
    by_cohort = queries.funnel_by_cohort(snapshot, filters).frame
    notices.filter_note(result.clause)
    if result.frame.empty:
        st.warning("No journeys match the filters.")
    for journey, stages in result.frame.groupby("journey_name", sort=True):
        stages = stages.reset_index(drop=True)
        st.subheader(str(journey))
        worst = biggest_dropoff(stages)
        chart_col, panel_col = st.columns([3, 2], gap="large")
        with chart_col:
            st.plotly_chart(
                charts.funnel(stages, str(worst["stage"]), "Journeys entering and completing each stage"),
                key=f"funnel-{journey}",
            )
        with panel_col:
            dropoff_panel(str(journey), worst, stages, signal[signal["journey_name"] == journey])
        cohorts = by_cohort[by_cohort["journey_name"] == journey]
        table_col, heatmap_col = st.columns([2, 3], gap="large")
        with table_col:
            st.markdown("**Completion and re-entry per stage**, all selected cohorts")
            tables.table(
                stages[["stage", "completion_rate", "reentered", "reentry_rate"]],
                key=f"funnel-table-{journey}",
            )
        with heatmap_col:
            st.plotly_chart(
                charts.cohort_heatmap(cohorts, "Completion rate by cohort week and stage"),
                key=f"cohorts-{journey}",
            )

st.header("Journey CSAT by cohort")
if notices.require_mart(snapshot, "journeys", "the CSAT trend"):
    trend = queries.csat_trend(snapshot, filters)
    if trend.frame["journeys_with_csat"].sum() == 0:
        st.info("No CSAT recorded for the selected journeys.")
    else:
        figure = charts.lines(
            trend.frame,
            "cohort_week",
            "avg_csat",
            "journey_name",
            "Latest CSAT per journey, averaged over each cohort week",
            "average CSAT (1–5)",
            categorical_x=True,
        )
        figure.update_yaxes(range=[1, 5])
        st.plotly_chart(figure, key="csat-trend")
    notices.filter_note(trend.clause)

st.header("Friction ranking")
st.caption(
    "The stage × cohort × channel cells that cost the most completion and CSAT, with the signal that explains each."
)
friction = notices.mart_rows(snapshot, "friction_ranking", filters, "the friction ranking")
if friction is not None:
    frame = friction.frame.sort_values("rank") if "rank" in friction.frame.columns else friction.frame
    if "explanation" in frame.columns:
        # The sentences are what a product manager acts on: in full, not cut by a table cell.
        cell = [c for c in ("stage", "channel", "cohort_week", "journey_name") if c in frame.columns]
        st.markdown(
            "\n".join(
                f"{n}. **{escape_markdown(' · '.join(str(row[c]) for c in cell))}**: "
                f"{escape_markdown(str(row['explanation']))}"
                for n, (_, row) in enumerate(frame.head(FRICTION_SHOWN).iterrows(), start=1)
            )
        )
    with st.expander(f"All {len(frame)} ranked cells"):
        tables.table(frame, key="friction")
