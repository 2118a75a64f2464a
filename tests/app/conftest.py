"""Fixtures for the dashboard tests: a published fixture snapshot and an AppTest runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from app_runner import run_app
from fixture_marts import build_fixture_snapshot
from streamlit.testing.v1 import AppTest

from orchestration.serving import mart_reader


@pytest.fixture(scope="session")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A serving directory whose `current` snapshot holds every fixture mart."""
    directory = tmp_path_factory.mktemp("serving")
    build_fixture_snapshot(directory)
    return directory


@pytest.fixture(scope="session")
def mart(serving: Path) -> Callable[[str], pd.DataFrame]:
    """Read a fixture mart straight from Parquet with pandas: the tests' independent path to
    the numbers the app computes with DuckDB."""
    return lambda name: duckdb.sql(f"select * from {mart_reader(serving / 'current', name)}").df()


PageRunner = Callable[..., AppTest]


@pytest.fixture
def open_page(serving: Path, monkeypatch: pytest.MonkeyPatch) -> PageRunner:
    """Run the app on a page with parameters in the URL, as a first visit from a link would.
    `serving_dir=` points it at another serving directory (empty, or missing a mart)."""

    def run(page: str = "overview", serving_dir: Path | None = None, **params: str | list[str]) -> AppTest:
        monkeypatch.setenv("JOURNEYS_SERVING_DIR", str(serving_dir or serving))
        at = run_app(page, **params)
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run
