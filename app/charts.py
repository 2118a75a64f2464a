"""Plotly figures for the dashboard: funnel, heatmap, lines, bars and the Sankey of paths.

Every figure labels its axes in words, formats rates as percentages and puts the number a
person acts on into the mark itself (bar text, hover), so a screenshot reads without a legend
hunt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from app.formatting import pct, score

BLUE, GREEN, RED, GREY, AMBER = "#3b6fb6", "#2e9d5b", "#d1495b", "#9aa5b1", "#e59f3a"
PALETTE = px.colors.qualitative.Safe


# A short legend sits above the plot, right of the title; a long one (a line per stage) goes
# to the right, where it cannot run into the title.
TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1}
SIDE_LEGEND = {"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.02}


def _layout(fig: go.Figure, title: str, height: int = 380, side_legend: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend=SIDE_LEGEND if side_legend else TOP_LEGEND,
        font={"size": 13},
    )
    return fig


def funnel(frame: pd.DataFrame, highlight: str | None, title: str) -> go.Figure:
    """Journeys entering and completing each stage, in journey-map order; the stage in
    `highlight` (the biggest drop-off) is drawn red."""
    stages = list(frame["stage"])
    rates = [pct(r) for r in frame["completion_rate"]]
    fig = go.Figure()
    fig.add_trace(
        go.Funnel(
            name="Entered",
            y=stages,
            x=frame["entered"],
            textinfo="value",
            marker={"color": GREY},
            hovertemplate="%{y}: %{x} journeys entered<extra></extra>",
        )
    )
    fig.add_trace(
        go.Funnel(
            name="Completed",
            y=stages,
            x=frame["completed"],
            text=[f"{c} ({r})" for c, r in zip(frame["completed"], rates)],
            textinfo="text",
            marker={"color": [RED if s == highlight else BLUE for s in stages]},
            hovertemplate="%{y}: %{x} completed<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="stage (journey-map order)")
    return _layout(fig, title)


def cohort_heatmap(frame: pd.DataFrame, title: str) -> go.Figure:
    """Completion rate per cohort week (rows) and stage (columns)."""
    stages = list(dict.fromkeys(frame.sort_values("stage_order")["stage"]))
    grid = frame.pivot_table(index="cohort_week", columns="stage", values="completion_rate", aggfunc="first")
    grid = grid.reindex(columns=stages).sort_index()
    entered = frame.pivot_table(index="cohort_week", columns="stage", values="entered", aggfunc="first")
    entered = entered.reindex(index=grid.index, columns=stages)
    text = [
        [f"{pct(v, 0)}<br>of {int(n)}" if pd.notna(n) else "" for v, n in zip(row_v, row_n)]
        for row_v, row_n in zip(grid.to_numpy(), entered.to_numpy())
    ]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=stages,
            y=list(grid.index),
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmin=0.5,
            zmax=1.0,
            colorbar={"title": "completion", "tickformat": ".0%"},
            hovertemplate="%{y} · %{x}: %{z:.1%} completed<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="stage")
    fig.update_yaxes(title_text="cohort week", type="category")
    return _layout(fig, title, height=120 + 45 * len(grid.index))


def lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    title: str,
    y_title: str,
    percent: bool = False,
    categorical_x: bool = False,
) -> go.Figure:
    fig = px.line(
        frame,
        x=x,
        y=y,
        color=color,
        markers=True,
        color_discrete_sequence=PALETTE,
        labels={x: x.replace("_", " "), y: y_title, color: color.replace("_", " ")},
    )
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
        fig.update_traces(hovertemplate="%{x}: %{y:.1%}")
    if categorical_x:
        fig.update_xaxes(type="category")
    return _layout(fig, title, side_legend=True)


def grouped_bars(
    frame: pd.DataFrame,
    x: str,
    values: dict[str, str],
    title: str,
    y_title: str,
    percent: bool = False,
    thresholds: dict[str, float] | None = None,
    value_label: Callable[[Any], str] = score,
) -> go.Figure:
    """One bar group per `x` value, one bar per column in `values` (column -> legend label),
    each bar labelled with `value_label(value)` (a percentage when `percent`); optional dotted
    threshold lines per label."""
    fig = go.Figure()
    for i, (column, label) in enumerate(values.items()):
        fig.add_trace(
            go.Bar(
                name=label,
                x=frame[x],
                y=frame[column],
                text=[pct(v) if percent else value_label(v) for v in frame[column]],
                textposition="outside",
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    for i, (label, value) in enumerate((thresholds or {}).items()):
        fig.add_hline(
            y=value,
            line_dash="dot",
            line_color=PALETTE[i % len(PALETTE)],
            annotation_text=f"{label} threshold {score(value)}",
            annotation_position="top left",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=y_title, tickformat=".0%" if percent else None, rangemode="tozero")
    fig.update_xaxes(title_text=x.replace("_", " "))
    return _layout(fig, title)


def hbars(
    frame: pd.DataFrame,
    y: str,
    x: str,
    title: str,
    x_title: str,
    text: Sequence[str],
    colors: Sequence[str] | str = BLUE,
    percent: bool = False,
) -> go.Figure:
    """Horizontal bars, one per row, labelled with `text`; top row first."""
    fig = go.Figure(
        go.Bar(
            y=frame[y],
            x=frame[x],
            orientation="h",
            text=list(text),
            # Outside, so a zero-length bar still shows its number.
            textposition="outside",
            cliponaxis=False,
            marker_color=colors,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title_text=None, type="category")
    values = frame[x].astype(float).fillna(0)
    low, high = min(0.0, values.min()), max(0.0, values.max(), 1.0 if percent else 0.0)
    room = 0.35 * ((high - low) or 1.0)  # for the labels outside the bars
    fig.update_xaxes(
        title_text=x_title,
        range=[low - room if low < 0 else low, high + room],
        tickformat=".0%" if percent else None,
    )
    return _layout(fig, title, height=max(260, 90 + 32 * len(frame)))


def stacked_shares(
    frame: pd.DataFrame, x: str, parts: dict[str, str], colors: Sequence[str], title: str
) -> go.Figure:
    """Each `x` as a 100% bar split into `parts` (column -> label)."""
    total = frame[list(parts)].sum(axis=1).replace(0, pd.NA)
    fig = go.Figure()
    for (column, label), color in zip(parts.items(), colors):
        share = (frame[column] / total).astype(float)
        fig.add_trace(
            go.Bar(
                name=label,
                x=frame[x],
                y=share,
                marker_color=color,
                text=[pct(s, 0) if s >= 0.04 else "" for s in share.fillna(0)],
                customdata=frame[column],
                hovertemplate=f"%{{x}}: %{{customdata}} {label} (%{{y:.1%}})<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", title_text="share of conversations", range=[0, 1])
    return _layout(fig, title)


def _sankey_positions(
    nodes: list[tuple[str, str]], links: pd.DataFrame, stage_order: dict[str, int]
) -> tuple[list[float], list[float]]:
    """Node centres: x by the stage's place in the journey map, and within a stage the
    channels stacked top to bottom in proportion to their flow, so nodes never overlap."""
    flow_in = links.groupby(["to_stage", "to_channel"])["journeys"].sum()
    flow_out = links.groupby(["from_stage", "from_channel"])["journeys"].sum()
    size = {n: max(flow_in.get(n, 0), flow_out.get(n, 0)) for n in nodes}
    last = max(stage_order.values(), default=1)
    columns: dict[str, list[tuple[str, str]]] = {}
    for node in nodes:
        columns.setdefault(node[0], []).append(node)
    gap = 0.25 * max(size.values(), default=1)
    tallest = max(sum(size[n] for n in col) + gap * (len(col) - 1) for col in columns.values())
    xs, ys = {}, {}
    for stage, column in columns.items():
        offset = 0.0
        for node in column:
            # Margins keep the edge nodes and the loops of backward moves inside the figure.
            xs[node] = 0.01 + 0.93 * (stage_order.get(stage, last) - 1) / max(last - 1, 1)
            ys[node] = 0.08 + 0.84 * (offset + size[node] / 2) / tallest
            offset += size[node] + gap
    return [xs[n] for n in nodes], [ys[n] for n in nodes]


# plotly.js lays out a link that flows backwards as a loop, and with a hundred or more of them
# its layout never finishes: a 30-day history's 105 backward links crashed the browser tab
# (benchmarks/bench_render.py), where 33 over one day drew in about a second. The largest are
# drawn; the rest are counted beside the chart.
MAX_BACKWARD_LINKS = 30


def _backward(links: pd.DataFrame, stage_order: dict[str, int]) -> list[bool]:
    """Per move, whether it goes back to an earlier stage of the journey map."""
    return [stage_order.get(t, 99) < stage_order.get(f, 0) for f, t in zip(links["from_stage"], links["to_stage"])]


def sankey_links(links: pd.DataFrame, stage_order: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The moves to draw (every forward one, and the MAX_BACKWARD_LINKS largest backward ones)
    and the backward moves left out."""
    backward = pd.Series(_backward(links, stage_order), index=links.index, dtype=bool)
    left_out = links[backward].sort_values("journeys", ascending=False, kind="stable").iloc[MAX_BACKWARD_LINKS:]
    return links.drop(left_out.index), left_out


def paths_sankey(links: pd.DataFrame, stage_order: dict[str, int], title: str) -> go.Figure:
    """Observed moves between (stage, channel) steps. Nodes are placed left to right in
    journey-map order, so a move that goes backwards stands out as a link flowing left."""
    nodes = sorted(
        set(zip(links["from_stage"], links["from_channel"]))
        | set(zip(links["to_stage"], links["to_channel"])),
        key=lambda n: (stage_order.get(n[0], 99), n[1]),
    )
    index = {n: i for i, n in enumerate(nodes)}
    channels = sorted({c for _, c in nodes})
    channel_color = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}
    xs, ys = _sankey_positions(nodes, links, stage_order)
    backward = _backward(links, stage_order)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            textfont={"size": 12, "color": "#1f2933"},
            node={
                "label": [f"{s} · {c}" for s, c in nodes],
                "color": [channel_color[c] for _, c in nodes],
                "x": xs,
                "y": ys,
                "pad": 12,
                "thickness": 14,
                "hovertemplate": "%{label}: %{value} moves<extra></extra>",
            },
            link={
                "source": [index[(s, c)] for s, c in zip(links["from_stage"], links["from_channel"])],
                "target": [index[(s, c)] for s, c in zip(links["to_stage"], links["to_channel"])],
                "value": links["journeys"],
                "color": ["rgba(209,73,91,0.6)" if back else "rgba(59,111,182,0.22)" for back in backward],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} moves<extra></extra>",
            },
        )
    )
    return _layout(fig, title, height=520)
