"""How numbers read on the dashboard: rates as percentages, scores with two decimals."""

from __future__ import annotations

import string
from typing import Any

import pandas as pd

MISSING = "–"
_MARKDOWN_SPECIALS = set(string.punctuation)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def pct(value: Any, digits: int = 1) -> str:
    """A rate in [0, 1] as a percentage: 0.6885 -> '68.9%'. A null rate (no denominator) is '–'."""
    return MISSING if _missing(value) else f"{float(value) * 100:.{digits}f}%"


def score(value: Any) -> str:
    """An evaluator score in [0, 1] or a CSAT mean: two decimals."""
    return MISSING if _missing(value) else f"{float(value):.2f}"


def signed(value: Any) -> str:
    """A difference, with its sign: +0.31, -1.22."""
    return MISSING if _missing(value) else f"{float(value):+.2f}"


def count(value: Any) -> str:
    return MISSING if _missing(value) else f"{int(value):,}"


def escape_markdown(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark, so data (a customer's words, a mart's
    explanation) renders literally: no links, emphasis or Streamlit colour directives."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)
