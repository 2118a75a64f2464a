"""What the URL carries, so that a link reproduces a view: the shared filters (read from a
link, written back as they change), a page's own widgets, and drill-down links carrying both."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from app import queries
from app.filters import ALL_URL_KEYS, URL_KEYS, Filters, filters_from_query_params, restrict
from app.formatting import escape_markdown

CONVERSATIONS_PAGE = "app_pages/conversations.py"
# The session-state keys of the sidebar's filter widgets, which the URL seeds.
DATES_KEY = "filter_dates"
_URL_WRITTEN_KEY = "_filters_written_to_url"


def filter_key(name: str) -> str:
    """The session-state key of the sidebar's multiselect for one filter."""
    return f"filter_{name}"


def _filter_params_in_url() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in ALL_URL_KEYS if key in st.query_params}


def seed_filters(options: queries.FilterOptions) -> None:
    """Let the URL decide the filters when it carries filters the app did not write itself:
    a session's first run from a shared link, a drill-down link, the browser's back button.
    Otherwise the widgets' state wins (page navigation drops the query string; the filters
    survive it and are written back)."""
    in_url = _filter_params_in_url()
    written = st.session_state.get(_URL_WRITTEN_KEY)
    widget_state_lost = any(filter_key(n) not in st.session_state for n in URL_KEYS)
    if written is not None and not widget_state_lost and (not in_url or in_url == written):
        return
    parsed, problems = filters_from_query_params(st.query_params.get_all)
    parsed, unknown = restrict(parsed, {n: getattr(options, n) for n in URL_KEYS})
    for name in URL_KEYS:
        st.session_state[filter_key(name)] = list(getattr(parsed, name))
    st.session_state.pop(DATES_KEY, None)
    if options.first_day and options.last_day:
        start = max(parsed.start or options.first_day, options.first_day)
        end = min(parsed.end or options.last_day, options.last_day)
        if start <= end:
            st.session_state[DATES_KEY] = (start, end)
    for problem in problems + unknown:
        # The problem quotes the URL, which anyone can write: plain text, never Markdown (a value
        # like `[x](http://evil)` must not become a link on a trusted page).
        st.sidebar.warning(f"Link: {escape_markdown(problem)}", icon=":material/link_off:")


def write_filters(filters: Filters) -> None:
    """Mirror the filters into the URL, leaving page-specific parameters alone."""
    wanted = filters.to_query_params()
    st.session_state[_URL_WRITTEN_KEY] = wanted
    current = _filter_params_in_url()
    if current == wanted:
        return
    for key in current:
        del st.query_params[key]
    for key, values in wanted.items():
        st.query_params[key] = values


def url_state(key: str, url_key: str, parse: Callable[[list[str]], Any]) -> None:
    """Seed a page widget's state from the URL when the page is opened (e.g. by a drill-down
    link); once the widget exists its own state wins."""
    if key not in st.session_state:
        st.session_state[key] = parse(st.query_params.get_all(url_key))


def write_url_params(params: Mapping[str, list[str]]) -> None:
    """Mirror a page's own widgets into the URL (empty list removes the parameter)."""
    for key, values in params.items():
        if st.query_params.get_all(key) == values:
            continue
        if key in st.query_params:
            del st.query_params[key]
        if values:
            st.query_params[key] = values


def drilldown_link(label: str, filters: Filters, **params: str | list[str]) -> None:
    """A link to the Conversations page showing the conversations behind a number: the
    current filters plus `params` (stage, failing, conversation) travel in the URL."""
    query_params: dict[str, str | list[str]] = {**filters.to_query_params(), **params}
    st.page_link(CONVERSATIONS_PAGE, label=label, icon=":material/forum:", query_params=query_params)
