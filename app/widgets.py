"""Widgets shared by every page: the sidebar filters kept in the URL, the page context, notes
on filters and missing marts, and the drill-down link to the conversations behind a number."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app import queries
from app.filters import (
    ALL_URL_KEYS,
    FILTER_LABELS,
    URL_KEYS,
    Clause,
    Filters,
    describe,
    filters_from_query_params,
    restrict,
)
from app.formatting import escape_markdown
from orchestration.serving import Snapshot

CONVERSATIONS_PAGE = "app_pages/conversations.py"
_CONTEXT_KEY = "_journeys_page_context"
_DATES_KEY = "filter_dates"
_URL_WRITTEN_KEY = "_filters_written_to_url"
# Free-text columns a person reads first.
LEAD_COLUMNS = ("explanation", "reason", "description")


@dataclass(frozen=True)
class PageContext:
    snapshot: Snapshot
    filters: Filters


def _state_key(name: str) -> str:
    return f"filter_{name}"


def _filter_params_in_url() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in ALL_URL_KEYS if key in st.query_params}


def _seed_from_url(options: queries.FilterOptions) -> None:
    """Let the URL decide the filters when it carries filters the app did not write itself:
    a session's first run from a shared link, a drill-down link, the browser's back button.
    Otherwise the widgets' state wins (page navigation drops the query string; the filters
    survive it and are written back)."""
    in_url = _filter_params_in_url()
    written = st.session_state.get(_URL_WRITTEN_KEY)
    widget_state_lost = any(_state_key(n) not in st.session_state for n in URL_KEYS)
    if written is not None and not widget_state_lost and (not in_url or in_url == written):
        return
    parsed, problems = filters_from_query_params(st.query_params.get_all)
    parsed, unknown = restrict(parsed, {n: getattr(options, n) for n in URL_KEYS})
    for name in URL_KEYS:
        st.session_state[_state_key(name)] = list(getattr(parsed, name))
    st.session_state.pop(_DATES_KEY, None)
    if options.first_day and options.last_day:
        start = max(parsed.start or options.first_day, options.first_day)
        end = min(parsed.end or options.last_day, options.last_day)
        if start <= end:
            st.session_state[_DATES_KEY] = (start, end)
    for problem in problems + unknown:
        # The problem quotes the URL, which anyone can write: plain text, never Markdown (a value
        # like `[x](http://evil)` must not become a link on a trusted page).
        st.sidebar.warning(f"Link: {escape_markdown(problem)}", icon=":material/link_off:")


def _clear_filters() -> None:
    for name in URL_KEYS:
        st.session_state[_state_key(name)] = []
    st.session_state.pop(_DATES_KEY, None)


def _write_url(filters: Filters) -> None:
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


def sidebar_filters(snapshot: Snapshot) -> Filters:
    """Render the shared filters in the sidebar and return the selection."""
    options = queries.filter_options(snapshot)
    _seed_from_url(options)
    sidebar = st.sidebar
    sidebar.header("Filters")
    for name in URL_KEYS:
        key = _state_key(name)
        known = getattr(options, name)
        # A value from an older snapshot would make the widget raise; drop it instead.
        st.session_state[key] = [v for v in st.session_state[key] if v in known]
        sidebar.multiselect(FILTER_LABELS[name].capitalize(), known, key=key, placeholder="All")
    start = end = None
    if options.first_day and options.last_day:
        held = st.session_state.get(_DATES_KEY)
        # A range from an older snapshot may fall outside today's bounds; the widget would raise.
        # (One date is a range being picked: keep it.)
        if not (
            isinstance(held, tuple) and held and all(options.first_day <= d <= options.last_day for d in held)
        ):
            st.session_state[_DATES_KEY] = (options.first_day, options.last_day)
        picked = sidebar.date_input(
            "Date range (conversation start, UTC)",
            min_value=options.first_day,
            max_value=options.last_day,
            key=_DATES_KEY,
        )
        # While a range is being picked the widget holds one date; keep the full range until then.
        if isinstance(picked, tuple) and len(picked) == 2:
            start = picked[0] if picked[0] > options.first_day else None
            end = picked[1] if picked[1] < options.last_day else None
    sidebar.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:")
    filters = Filters(
        **{name: tuple(st.session_state[_state_key(name)]) for name in URL_KEYS}, start=start, end=end
    )
    _write_url(filters)
    sidebar.caption(_snapshot_caption(snapshot))
    return filters


def _snapshot_caption(snapshot: Snapshot) -> str:
    published = snapshot.published_at or "unknown time"
    version = snapshot.journey_map_version or "unknown"
    return f"Data published {published} · journey map v{version} · snapshot `{snapshot.path.name}`"


def set_page_context(context: PageContext) -> None:
    st.session_state[_CONTEXT_KEY] = context


def page_header(title: str, purpose: str) -> tuple[Snapshot, Filters]:
    """Title a page, say whom it serves and what it answers, and hand it the snapshot and
    filters the entry script resolved for this run."""
    st.title(title)
    st.caption(purpose)
    context: PageContext = st.session_state[_CONTEXT_KEY]
    return context.snapshot, context.filters


def filter_note(clause: Clause) -> None:
    """Say under a chart which active filters shaped it and which its grain cannot take."""
    text = describe(clause)
    if text:
        st.caption(text)


def require_mart(snapshot: Snapshot, mart: str, purpose: str) -> bool:
    """True when the snapshot has `mart`; otherwise say so in place of the section."""
    if snapshot.has(mart):
        return True
    st.info(
        f"`marts.{mart}` is not in the published snapshot yet, so {purpose} cannot be shown. "
        "It appears after the next successful `journeys materialize` that builds it.",
        icon=":material/hourglass_empty:",
    )
    return False


def mart_rows(snapshot: Snapshot, mart: str, filters: Filters, purpose: str) -> queries.Result | None:
    """A mart's rows under the filters, with the note on which filters applied; None (and a
    notice in place of the section) when the snapshot does not have the mart."""
    if not require_mart(snapshot, mart, purpose):
        return None
    result = queries.per_mart(snapshot, mart, filters)
    filter_note(result.clause)
    return result


def no_data_message(serving_dir: Any) -> None:
    st.title("Customer journeys")
    st.info(
        f"No published data yet in `{serving_dir}`.\n\n"
        "Produce some with `make demo` (simulates a month of traffic, builds the marts and "
        "publishes them), or for your own traces run "
        "`journeys materialize --start 2026-11-01 --end 2026-11-30`. "
        "Set `JOURNEYS_SERVING_DIR` (or `JOURNEYS_DATA_DIR`) if the data lives elsewhere. "
        "This page picks the data up on its next refresh.",
        icon=":material/database:",
    )


def drilldown_link(label: str, filters: Filters, **params: str | list[str]) -> None:
    """A link to the Conversations page showing the conversations behind a number: the
    current filters plus `params` (stage, failing, conversation) travel in the URL."""
    query_params: dict[str, str | list[str]] = {**filters.to_query_params(), **params}
    st.page_link(CONVERSATIONS_PAGE, label=label, icon=":material/forum:", query_params=query_params)


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


def _column_config(name: str) -> Any:
    label = name.replace("_", " ")
    if name.endswith("_at"):
        return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
    if name.endswith(("_rate", "_share", "_gap")) or name in ("completion", "reentry"):
        return st.column_config.NumberColumn(label, format="percent")
    if name.endswith(("_score", "_lift", "_csat", "_retention", "_resolution", "_quality")) or name in (
        "csat",
        "observed_value",
        "threshold",
    ):
        return st.column_config.NumberColumn(label, format="%.2f")
    if name in LEAD_COLUMNS:
        return st.column_config.TextColumn(label, width="large")
    return st.column_config.Column(label)


def table(frame: Any, key: str | None = None) -> None:
    """A mart's rows with readable headers: rates as percentages, scores with two decimals,
    and the sentence a person reads (an explanation) right after the rank, never cut off."""
    lead = [c for c in ("rank", *LEAD_COLUMNS) if c in frame.columns]
    frame = frame[lead + [c for c in frame.columns if c not in lead]]
    st.dataframe(
        frame,
        hide_index=True,
        column_config={c: _column_config(str(c)) for c in frame.columns},
        key=key,
    )
