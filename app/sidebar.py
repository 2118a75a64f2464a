"""The sidebar every page shares: the filters (kept in the URL by app/url_sync.py), a button
clearing them, and which snapshot the numbers come from."""

from __future__ import annotations

import streamlit as st

from app import queries, url_sync
from app.filters import FILTER_LABELS, URL_KEYS, Filters
from orchestration.serving import Snapshot


def _clear_filters() -> None:
    for name in URL_KEYS:
        st.session_state[url_sync.filter_key(name)] = []
    st.session_state.pop(url_sync.DATES_KEY, None)


def sidebar_filters(snapshot: Snapshot) -> Filters:
    """Render the shared filters in the sidebar and return the selection."""
    options = queries.filter_options(snapshot)
    url_sync.seed_filters(options)
    sidebar = st.sidebar
    sidebar.header("Filters")
    for name in URL_KEYS:
        key = url_sync.filter_key(name)
        known = getattr(options, name)
        # A value from an older snapshot would make the widget raise; drop it instead.
        st.session_state[key] = [v for v in st.session_state[key] if v in known]
        sidebar.multiselect(FILTER_LABELS[name].capitalize(), known, key=key, placeholder="All")
    start = end = None
    if options.first_day and options.last_day:
        held = st.session_state.get(url_sync.DATES_KEY)
        # A range from an older snapshot may fall outside today's bounds; the widget would raise.
        # (One date is a range being picked: keep it.)
        if not (
            isinstance(held, tuple) and held and all(options.first_day <= d <= options.last_day for d in held)
        ):
            st.session_state[url_sync.DATES_KEY] = (options.first_day, options.last_day)
        picked = sidebar.date_input(
            "Date range (conversation start, UTC)",
            min_value=options.first_day,
            max_value=options.last_day,
            key=url_sync.DATES_KEY,
        )
        # While a range is being picked the widget holds one date; keep the full range until then.
        if isinstance(picked, tuple) and len(picked) == 2:
            start = picked[0] if picked[0] > options.first_day else None
            end = picked[1] if picked[1] < options.last_day else None
    sidebar.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:")
    filters = Filters(
        **{name: tuple(st.session_state[url_sync.filter_key(name)]) for name in URL_KEYS}, start=start, end=end
    )
    url_sync.write_filters(filters)
    sidebar.caption(_snapshot_caption(snapshot))
    return filters


def _snapshot_caption(snapshot: Snapshot) -> str:
    published = snapshot.published_at or "unknown time"
    version = snapshot.journey_map_version or "unknown"
    return f"Data published {published} · journey map v{version} · snapshot `{snapshot.path.name}`"
