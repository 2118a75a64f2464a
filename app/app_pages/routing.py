"""Routing signals, for whoever runs the routing orchestrator: the recommendations it will read
next, with their evidence numbers and window, exactly as published."""

from __future__ import annotations

import json

import streamlit as st

from app import widgets
from app.data import serving_dir
from app.formatting import count

ROUTING_FILE = "routing_signals.json"

snapshot, filters = widgets.page_header(
    "Routing signals",
    "Recommendations per journey stage, cohort and channel that an orchestrator polls before its "
    "next routing decision (`route_to_human_earlier`, `add_context_bridge`, `prefer_channel:<channel>`).",
)

result = widgets.mart_rows(snapshot, "routing_signals", filters, "routing signals")
if result is not None:
    frame = result.frame
    if "recommendation" in frame.columns and not frame.empty:
        tiles = st.columns(min(4, frame["recommendation"].nunique()) or 1)
        for tile, (name, n) in zip(tiles, frame["recommendation"].value_counts().items()):
            tile.metric(str(name), count(n))
    widgets.table(frame, key="routing-signals")

polled = serving_dir() / ROUTING_FILE
st.subheader("What orchestrators poll")
if polled.exists():
    try:
        document = json.loads(polled.read_text())
        st.markdown(
            f"`{polled}`: {count(document.get('count'))} signals, published {document.get('published_at', 'at an unknown time')}."
        )
    except (OSError, json.JSONDecodeError) as exc:
        st.warning(f"`{polled}` is not readable JSON: {exc}")
else:
    st.info(
        f"`{polled}` has not been written yet; it is published with the next snapshot that has routing signals."
    )
