"""A mart's rows as a table a person reads: readable headers, rates as percentages, scores with
two decimals, and the sentence that explains a row first."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

# Free-text columns a person reads first.
LEAD_COLUMNS = ("explanation", "reason", "description")


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


def table(frame: pd.DataFrame, key: str | None = None) -> None:
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
