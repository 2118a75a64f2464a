"""The frame around every page: the snapshot and filters the entry script resolves once per run
and hands to the page, the page's title and purpose, and the page shown before any data is
published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.filters import Filters
from orchestration.serving import Snapshot

_CONTEXT_KEY = "_journeys_page_context"


@dataclass(frozen=True)
class PageContext:
    snapshot: Snapshot
    filters: Filters


def set_page_context(context: PageContext) -> None:
    st.session_state[_CONTEXT_KEY] = context


def page_header(title: str, purpose: str) -> tuple[Snapshot, Filters]:
    """Title a page, say whom it serves and what it answers, and hand it the snapshot and
    filters the entry script resolved for this run."""
    st.title(title)
    st.caption(purpose)
    context: PageContext = st.session_state[_CONTEXT_KEY]
    return context.snapshot, context.filters


def no_data_message(serving_dir: Path) -> None:
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
