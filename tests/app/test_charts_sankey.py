"""app/charts.py: the observed-paths Sankey draws every forward move and only the largest backward
ones (plotly.js's layout of a hundred or more backward links never finished: the Channel mix tab
over 30 days crashed in Chromium)."""

from __future__ import annotations

import pandas as pd

from app.charts import MAX_BACKWARD_LINKS, paths_sankey, sankey_links

ORDER = {"intake": 1, "check": 2, "decision": 3}


def _links(backward: int) -> pd.DataFrame:
    forward = [("intake", "chat", "check", "chat", 50), ("check", "chat", "decision", "voice", 40)]
    # Backward moves from decision to intake over many channel pairs, each with its own count.
    back = [("decision", f"c{i}", "intake", f"d{i}", i + 1) for i in range(backward)]
    return pd.DataFrame(
        forward + back, columns=["from_stage", "from_channel", "to_stage", "to_channel", "journeys"]
    )


def test_only_the_largest_backward_links_are_drawn_and_the_rest_are_counted() -> None:
    links = _links(backward=MAX_BACKWARD_LINKS + 75)
    drawn, left_out = sankey_links(links, ORDER)
    assert len(drawn) == 2 + MAX_BACKWARD_LINKS
    assert len(left_out) == 75
    assert set(drawn["journeys"]) >= {50, 40} and left_out["journeys"].max() == 75  # 1..75 left out
    assert drawn["journeys"].sum() + left_out["journeys"].sum() == links["journeys"].sum()
    assert len(paths_sankey(drawn, ORDER, "moves").data[0].link.source) == 2 + MAX_BACKWARD_LINKS


def test_a_few_backward_links_are_all_drawn() -> None:
    links = _links(backward=5)
    drawn, left_out = sankey_links(links, ORDER)
    assert left_out.empty and len(drawn) == len(links)
