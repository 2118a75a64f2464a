"""Stages, for the ML engineer: evaluator scores per stage, where conversations fail them and
since when, and how much context survives each hand-off between stages."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app import charts, notices, page_frame, queries, tables, url_sync
from app.formatting import count, pct, score
from orchestration.journey_map import below_threshold

snapshot, filters = page_frame.page_header(
    "Stages",
    "For the ML engineer: resolution, quality and context retention per stage, the eval-fail rate "
    "(share of conversations failing any evaluator) and its weekly trend, and hand-off retention.",
)

if notices.require_mart(snapshot, queries.CELLS, "per-stage evaluator scores"):
    evaluations = queries.stage_evaluations(snapshot, filters)
    trend = queries.fail_rate_trend(snapshot, filters)
    notices.filter_note(evaluations.clause)
    score_columns = {
        f"{ev.prefix}_score": ev.label
        for ev in queries.evaluators()
        if f"{ev.prefix}_score" in evaluations.frame.columns
    }
    if evaluations.frame.empty:
        st.warning("No evaluated conversations match the filters.")
    for journey, stages in evaluations.frame.groupby("journey_name", sort=True):
        st.header(str(journey))
        st.plotly_chart(
            charts.grouped_bars(
                stages, "stage", score_columns, "Mean evaluator score per stage", "mean score"
            ),
            key=f"scores-{journey}",
        )
        rate_col, trend_col = st.columns(2, gap="large")
        with rate_col:
            st.plotly_chart(
                charts.hbars(
                    stages,
                    "stage",
                    "eval_fail_rate",
                    "Eval-fail rate by stage",
                    "conversations failing any evaluator",
                    text=[
                        f"{pct(r)} of {count(n)}"
                        for r, n in zip(stages["eval_fail_rate"], stages["conversations"])
                    ],
                    colors=charts.AMBER,
                    percent=True,
                ),
                key=f"fail-{journey}",
            )
        with trend_col:
            weekly = trend.frame[trend.frame["journey_name"] == journey]
            st.plotly_chart(
                charts.lines(
                    weekly,
                    "week",
                    "eval_fail_rate",
                    "stage",
                    "Eval-fail rate per week",
                    "failing conversations",
                    percent=True,
                    categorical_x=True,
                ),
                key=f"fail-trend-{journey}",
            )
        worst = stages.sort_values("eval_fail_rate", ascending=False).iloc[0]
        if worst["failing"]:
            url_sync.drilldown_link(
                f"Open the {int(worst['failing'])} failing conversations at {worst['stage']} "
                f"({pct(worst['eval_fail_rate'])} fail)",
                replace(filters, journeys=(str(journey),)),
                stage=str(worst["stage"]),
                failing="1",
            )
        pass_rates = {
            f"{ev.prefix}_pass_rate": f"{ev.label} pass rate"
            for ev in queries.evaluators()
            if f"{ev.prefix}_pass_rate" in stages.columns
        }
        with st.expander("Per-stage figures"):
            tables.table(
                stages[["stage", "conversations", *score_columns, *pass_rates, "failing", "eval_fail_rate"]],
                key=f"stage-table-{journey}",
            )

st.header("Hand-off retention between stages")
if notices.require_mart(snapshot, "stage_handoffs", "hand-off retention"):
    handoffs = queries.handoffs(snapshot, filters)
    notices.filter_note(handoffs.clause)
    for journey, moves in handoffs.frame.groupby("journey_name", sort=True):
        moves = moves.assign(move=moves["from_stage"] + " → " + moves["to_stage"])
        low = [
            below_threshold(value, threshold)
            for value, threshold in zip(moves["avg_context_retention"], moves["min_context_retention"])
        ]
        st.plotly_chart(
            charts.hbars(
                moves,
                "move",
                "avg_context_retention",
                f"{journey}: context retention at the first conversation after each hand-off",
                "mean context-retention score",
                text=[
                    f"{score(r.avg_context_retention)} · {pct(r.retention_fail_rate)} fail · {count(r.transitions)} moves"
                    + (f" · below {score(r.min_context_retention)}" if below else "")
                    for r, below in zip(moves.itertuples(), low)
                ],
                colors=[charts.RED if below else charts.BLUE for below in low],
            ),
            key=f"handoffs-{journey}",
        )
    st.caption("Red: mean retention below the journey map's `min_context_retention` for the stage handed to.")
