"""Notes a section shows about its data: which filters shaped it, and a notice in its place when
the published snapshot does not have the mart it needs."""

from __future__ import annotations

import streamlit as st

from app import queries
from app.filters import Clause, Filters, describe
from orchestration.serving import Snapshot


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
