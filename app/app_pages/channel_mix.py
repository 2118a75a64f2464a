"""Channel mix, for the CX operations lead: which channel sequences lift CSAT and completion,
and the paths customers really take through stages and channels beside the intended one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, notices, page_frame, queries, tables
from app.formatting import count, pct, signed

# A sequence with fewer rated journeys than this is too small to rank by lift.
MIN_RATED_JOURNEYS = 3

snapshot, filters = page_frame.page_header(
    "Channel mix",
    "For the CX operations lead: CSAT lift (average journey CSAT of a channel sequence minus the "
    "journey's average) and completion by channel sequence, and the observed paths through "
    "stages and channels beside the journey map's intended path.",
)

st.header("CSAT lift and completion by channel sequence")
if notices.require_mart(snapshot, "channel_mix", "the channel-sequence comparison"):
    mix = queries.channel_mix(snapshot, filters)
    notices.filter_note(mix.clause)
    for journey, sequences in mix.frame.groupby("journey_name", sort=True):
        st.subheader(str(journey))
        rated = sequences[sequences["journeys_with_csat"] >= MIN_RATED_JOURNEYS].sort_values(
            "csat_lift", ascending=False
        )
        lift_col, completion_col = st.columns(2, gap="large")
        with lift_col:
            if rated.empty:
                st.info(f"No channel sequence has {MIN_RATED_JOURNEYS} or more journeys with a CSAT yet.")
            else:
                st.plotly_chart(
                    charts.hbars(
                        rated,
                        "channel_sequence",
                        "csat_lift",
                        "CSAT lift by channel sequence",
                        "CSAT lift (points)",
                        text=[
                            f"{signed(v)} (n={n})"
                            for v, n in zip(rated["csat_lift"], rated["journeys_with_csat"])
                        ],
                        colors=[charts.GREEN if v >= 0 else charts.RED for v in rated["csat_lift"]],
                    ),
                    key=f"lift-{journey}",
                )
        with completion_col:
            top = sequences.sort_values("journeys", ascending=False).head(10)
            st.plotly_chart(
                charts.hbars(
                    top,
                    "channel_sequence",
                    "completion_rate",
                    "Completion by channel sequence (10 most used)",
                    "journeys completing the last stage",
                    text=[f"{pct(r)} of {count(n)}" for r, n in zip(top["completion_rate"], top["journeys"])],
                    percent=True,
                ),
                key=f"completion-{journey}",
            )
        st.caption(
            f"Lift is shown for sequences with at least {MIN_RATED_JOURNEYS} journeys with a CSAT; "
            "every sequence is in the table below."
        )
        with st.expander("All channel sequences"):
            tables.table(sequences.drop(columns="journey_name"), key=f"mix-{journey}")

st.header("Observed paths vs the intended path")
if notices.require_mart(snapshot, queries.TRANSITIONS, "observed paths") and notices.require_mart(
    snapshot, "stage_funnel", "the intended path"
):
    observed = queries.observed_transitions(snapshot, filters)
    intended = queries.stage_order(snapshot, filters)
    notices.filter_note(observed.clause)
    for journey, path in intended.groupby("journey_name", sort=True):
        st.subheader(str(journey))
        order = dict(zip(path["stage"], path["stage_order"]))
        links = observed.frame[observed.frame["journey_name"] == journey]
        path_col, sankey_col = st.columns([1, 3], gap="large")
        with path_col:
            st.markdown("**Intended path** (journey map)")
            st.markdown("\n".join(f"{o}. {s}" for s, o in sorted(order.items(), key=lambda item: item[1])))
            # A Series mask, not a list: an empty list would select no columns rather than no rows
            # (a journey whose conversations never move between steps).
            off_map = links[
                pd.Series(
                    [
                        order.get(t, 0) - order.get(f, 0) not in (0, 1)
                        for f, t in zip(links["from_stage"], links["to_stage"])
                    ],
                    index=links.index,
                    dtype=bool,
                )
            ]
            st.metric(
                "Off-path moves",
                count(off_map["journeys"].sum()),
                help="Moves between stages that skip a stage or go back to an earlier one.",
            )
            st.caption(
                f"of {count(links['journeys'].sum())} observed moves; red links in the diagram go backwards."
            )
        with sankey_col:
            if links.empty:
                st.info("No journey has more than one step under these filters.")
            else:
                drawn, left_out = charts.sankey_links(links, order)
                st.plotly_chart(
                    charts.paths_sankey(drawn, order, "Observed moves between stage · channel steps"),
                    key=f"sankey-{journey}",
                )
                if not left_out.empty:
                    st.caption(
                        f"The {count(len(left_out))} smallest backward links ({count(left_out['journeys'].sum())} "
                        f"moves) are not drawn, so that the diagram stays readable; the off-path count includes them."
                    )
