"""Fixtures for the dbt tests: one warehouse built from the hand-made journeys, shared by the
tests that only read it (each dbt invocation costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_harness import DbtWarehouse
from journey_fixture import CONVERSATIONS, CSAT_ANSWERS


@pytest.fixture(scope="session")
def fixture_raw(tmp_path_factory: pytest.TempPathFactory) -> DbtWarehouse:
    """The raw tables loaded with the hand-made journeys, before any dbt run."""
    return DbtWarehouse.create(tmp_path_factory.mktemp("raw"), CONVERSATIONS, CSAT_ANSWERS)


@pytest.fixture(scope="session")
def built(fixture_raw: DbtWarehouse, tmp_path_factory: pytest.TempPathFactory) -> DbtWarehouse:
    """A copy of the fixture warehouse after a plain `dbt build` (all history, every test)."""
    warehouse = fixture_raw.copy(tmp_path_factory.mktemp("built"))
    warehouse.dbt("build")
    return warehouse


@pytest.fixture
def scratch(built: DbtWarehouse, tmp_path: Path) -> DbtWarehouse:
    """A private copy of the built warehouse for a test that changes it."""
    return built.copy(tmp_path)
