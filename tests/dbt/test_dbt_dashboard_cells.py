"""The dashboard's aggregate reads against a direct computation over every conversation.

The fixture warehouse is built by a real `dbt build`, published with the real
`publish_snapshot`, and read by the app's own queries (`app/queries.py`): the per-stage
evaluator figures and the weekly fail-rate trend come from `daily_evaluation_cells`, the
conversation lists page through `conversation_evaluations` day by day. Each is compared, for
seeded random filters, with the same figure computed here in pandas from
`conversation_evaluations` itself, which is how the app computed them before the cells existed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import timedelta

import duckdb
import pandas as pd
import pytest
from dbt_harness import DbtWarehouse

from app import queries
from app.filters import Filters
from orchestration.serving import Snapshot, current_snapshot, mart_reader, publish_snapshot

DRAWS = 30
TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def snapshot(built: DbtWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    serving = tmp_path_factory.mktemp("serving")
    with duckdb.connect(str(built.path), read_only=True) as con:
        publish_snapshot(con, serving)
    found = current_snapshot(serving)
    assert found is not None and found.has(queries.CELLS)
    return found


@pytest.fixture(scope="module")
def rows(snapshot: Snapshot) -> pd.DataFrame:
    return duckdb.sql(f"select * from {mart_reader(snapshot.path, 'conversation_evaluations')}").df()


def _pick(rng: random.Random, values: list[str]) -> tuple[str, ...]:
    """No restriction a third of the time, else a random non-empty subset."""
    if rng.random() < 1 / 3:
        return ()
    return tuple(rng.sample(values, rng.randint(1, len(values))))


def random_filters(rng: random.Random, rows: pd.DataFrame) -> Filters:
    days = sorted(rows["partition_date"].unique())
    start = end = None
    if rng.random() < 0.5:
        lo, hi = sorted(rng.sample(range(len(days)), 2)) if len(days) > 1 else (0, 0)
        start, end = pd.Timestamp(days[lo]).date(), pd.Timestamp(days[hi]).date()
    return Filters(
        journeys=_pick(rng, sorted(rows["journey_name"].unique())),
        cohorts=_pick(rng, sorted(rows["cohort_week"].unique())),
        segments=_pick(rng, sorted(rows["segment"].dropna().unique())),
        channels=_pick(rng, sorted(rows["channel"].unique())),
        start=start,
        end=end,
    )


def draws(seed: int, rows: pd.DataFrame) -> Iterator[tuple[random.Random, Filters]]:
    """DRAWS random filters over `rows`, with the generator for any further random choice."""
    rng = random.Random(seed)
    for _ in range(DRAWS):
        yield rng, random_filters(rng, rows)


def selected(rows: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=rows.index)
    for name, column in (
        ("journeys", "journey_name"),
        ("cohorts", "cohort_week"),
        ("segments", "segment"),
        ("channels", "channel"),
    ):
        if getattr(filters, name):
            keep &= rows[column].isin(getattr(filters, name))
    if filters.start:
        keep &= rows["started_at"] >= pd.Timestamp(filters.start)
    if filters.end:
        keep &= rows["started_at"] < pd.Timestamp(filters.end + timedelta(days=1))
    return rows[keep]


def direct_stage_figures(rows: pd.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    figures = {}
    for key, group in rows.groupby(["journey_name", "stage"]):
        figure = {
            "conversations": len(group),
            "failing": int(group["failed_any_evaluator"].sum()),
            "eval_fail_rate": group["failed_any_evaluator"].mean(),
        }
        for ev in queries.evaluators():
            passed = group[f"{ev.prefix}_passed"].dropna()
            figure[f"{ev.prefix}_score"] = group[f"{ev.prefix}_score"].mean()  # NaN when none is scored
            figure[f"{ev.prefix}_pass_rate"] = passed.astype(float).mean() if len(passed) else math.nan
        figures[key] = figure
    return figures


def assert_same(actual: float, expected: float) -> None:
    if pd.isna(expected):
        assert pd.isna(actual)
    else:
        assert actual == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE)


def test_the_cells_add_up_to_the_conversations(snapshot: Snapshot, rows: pd.DataFrame) -> None:
    cells = duckdb.sql(f"select * from {mart_reader(snapshot.path, queries.CELLS)}").df()
    assert cells["conversations"].sum() == len(rows)
    assert cells["failing_conversations"].sum() == rows["failed_any_evaluator"].sum()


def test_stage_figures_from_the_cells_equal_the_direct_computation(
    snapshot: Snapshot, rows: pd.DataFrame
) -> None:
    for _, filters in draws(14, rows):
        expected = direct_stage_figures(selected(rows, filters))
        frame = queries.stage_evaluations(snapshot, filters).frame
        actual = {(r["journey_name"], r["stage"]): r for _, r in frame.iterrows()}
        assert actual.keys() == expected.keys(), filters
        for key, figure in expected.items():
            for column, value in figure.items():
                assert_same(actual[key][column], value)


def test_the_weekly_fail_rate_from_the_cells_equals_the_direct_computation(
    snapshot: Snapshot, rows: pd.DataFrame
) -> None:
    for _, filters in draws(15, rows):
        chosen = selected(rows, filters)
        week = chosen["started_at"].dt.strftime("%G-W%V")
        expected = chosen.groupby([chosen["journey_name"], chosen["stage"], week])[
            "failed_any_evaluator"
        ].agg(["size", "mean"])
        frame = queries.fail_rate_trend(snapshot, filters).frame.set_index(["journey_name", "stage", "week"])
        assert sorted(frame.index) == sorted(expected.index), filters
        for key, (size, mean) in expected.iterrows():
            assert frame.loc[key, "conversations"] == size
            assert_same(frame.loc[key, "eval_fail_rate"], mean)


def test_the_conversation_list_pages_day_by_day_like_one_query_over_every_day(
    snapshot: Snapshot, rows: pd.DataFrame
) -> None:
    for rng, filters in draws(16, rows):
        stages = rng.sample(sorted(rows["stage"].unique()), 2) if rng.random() < 0.3 else []
        failing = rng.random() < 0.3
        chosen = selected(rows, filters)
        chosen = chosen[chosen["stage"].isin(stages)] if stages else chosen
        chosen = chosen[chosen["failed_any_evaluator"]] if failing else chosen
        expected = list(
            chosen.sort_values(["started_at", "conversation_id"], ascending=[False, True])["conversation_id"]
        )
        size = rng.randint(1, 4)
        seen: list[str] = []
        while True:  # as the Conversations page does: one more row says a next page exists
            page = queries.conversations(snapshot, filters, stages, failing, "", size, len(seen)).frame
            seen += list(page["conversation_id"].head(size))
            if len(page) <= size:
                break
        assert seen == expected, filters


def test_filter_options_come_from_the_cells(snapshot: Snapshot, rows: pd.DataFrame) -> None:
    options = queries.filter_options(snapshot)
    assert options.channels == tuple(sorted(rows["channel"].unique()))
    assert (options.first_day, options.last_day) == (
        rows["started_at"].min().date(),
        rows["started_at"].max().date(),
    )


def direct_transitions(rows: pd.DataFrame) -> dict[tuple[str, ...], int]:
    """Moves between consecutive (stage, channel) steps of each journey among `rows`."""
    ordered = rows.sort_values(["journey_id", "started_at", "conversation_id"])
    before = ordered.groupby("journey_id")[["stage", "channel"]].shift()
    moved = before["stage"].notna() & (
        (before["stage"] != ordered["stage"]) | (before["channel"] != ordered["channel"])
    )
    moves = pd.DataFrame(
        {
            "journey_name": ordered["journey_name"],
            "from_stage": before["stage"],
            "from_channel": before["channel"],
            "to_stage": ordered["stage"],
            "to_channel": ordered["channel"],
        }
    )[moved]
    return {key: len(group) for key, group in moves.groupby(list(moves.columns))}


def test_observed_paths_from_the_daily_moves_equal_the_direct_computation(
    snapshot: Snapshot, rows: pd.DataFrame
) -> None:
    for _, filters in draws(17, rows):
        # The Sankey does not take a channel filter: it would cut paths apart.
        expected = direct_transitions(
            selected(rows, filters.only("journeys", "cohorts", "segments", "dates"))
        )
        frame = queries.observed_transitions(snapshot, filters).frame
        actual = {
            (r.journey_name, r.from_stage, r.from_channel, r.to_stage, r.to_channel): r.journeys
            for r in frame.itertuples()
        }
        assert actual == expected, filters
