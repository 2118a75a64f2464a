"""Reading what an AppTest run shows: text, metrics, plotly figures, drill-down links."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import numpy as np
from streamlit.testing.v1 import AppTest


def texts(at: AppTest) -> list[str]:
    """Every piece of text the page shows (markdown, captions, headings, metrics, alerts)."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error")
    found = [str(el.value) for kind in kinds for el in getattr(at, kind)]
    found += [f"{m.label}: {m.value}" for m in at.metric]
    return found


def metric(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def _decode(value: Any) -> Any:
    """Plotly serialises numeric arrays as base64 typed arrays; turn them back into lists."""
    if isinstance(value, dict) and set(value) >= {"dtype", "bdata"}:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(n) for n in shape.split(","))
        return array.reshape(shape).tolist() if shape else array.tolist()
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def plotly_figures(at: AppTest) -> list[dict]:
    """Each plotly chart's figure (data and layout) as plain JSON values."""
    return [_decode(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def page_links(at: AppTest) -> list[tuple[str, dict[str, list[str]]]]:
    """Each page link's label and the query parameters it carries."""
    return [(link.label, parse_qs(link.proto.query_string)) for link in at.get("page_link")]
