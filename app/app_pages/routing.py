"""Closing the loop: the routing signals an orchestrator reads next (with their evidence numbers
and window, exactly as published), the journey-level guard against local fixes that hurt a later
stage, and the drift between observed journeys and the journey map."""

from __future__ import annotations

import streamlit as st

from app import notices, page_frame, tables
from app.data import serving_dir
from app.formatting import count, escape_markdown
from orchestration.serving import SnapshotError, read_routing_signals, routing_signals_path

snapshot, filters = page_frame.page_header(
    "Routing signals",
    "Recommendations per journey stage, cohort and channel that an orchestrator polls before its "
    "next routing decision (`route_to_human_earlier`, `add_context_bridge`, `prefer_channel:<channel>`).",
)

result = notices.mart_rows(snapshot, "routing_signals", filters, "routing signals")
if result is not None:
    frame = result.frame
    if "recommendation" in frame.columns and not frame.empty:
        tiles = st.columns(min(4, frame["recommendation"].nunique()) or 1)
        for tile, (name, n) in zip(tiles, frame["recommendation"].value_counts().items()):
            tile.metric(str(name), count(n))
    tables.table(frame, key="routing-signals")

st.header("Journey-level guard")
st.caption(
    "Per stage, the last 7 days against the 7 before: a stage that improved while the next stage's "
    "completion or hand-off retention fell is a net-negative change."
)
guard = notices.mart_rows(snapshot, "journey_guard", filters, "the journey-level guard")
if guard is not None:
    flagged = guard.frame[guard.frame["is_net_negative"].fillna(False).astype(bool)]
    st.metric("Net-negative changes", count(len(flagged)))
    if flagged.empty:
        st.success("No stage improved at the expense of the next one.", icon=":material/check_circle:")
    else:
        for sentence in flagged["explanation"]:
            st.warning(sentence, icon=":material/trending_down:")
    with st.expander("Every stage's change"):
        tables.table(guard.frame, key="journey-guard")

st.header("Journey-map drift")
st.caption(
    "Stage transitions and channels customers really took that the journey map does not declare: "
    "update the map, or fix the routing that sends them there."
)
drift = notices.mart_rows(snapshot, "journey_map_drift", filters, "journey-map drift")
if drift is not None:
    st.metric("Undeclared paths and channels", count(len(drift.frame)))
    tables.table(drift.frame, key="journey-map-drift")

directory = serving_dir()
polled = routing_signals_path(directory)
st.subheader("What orchestrators poll")
try:
    document = read_routing_signals(directory)
except SnapshotError as exc:
    st.warning(escape_markdown(str(exc)))  # a path and a parser's message: shown literally
else:
    if document is None:
        st.info(
            f"`{polled}` has not been written yet; it is published with the next snapshot that has routing signals."
        )
    else:
        st.markdown(
            f"`{polled}`: {count(document.get('count'))} signals, published {document.get('published_at', 'at an unknown time')}."
        )
