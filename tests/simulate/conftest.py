from __future__ import annotations

import pytest
from sim_reader import START

from orchestration.journey_map import load_journey_map
from orchestration.settings import REPO_ROOT
from orchestration.simulate import SimulationResult, simulate


@pytest.fixture(scope="session")
def journey_map():
    return load_journey_map(REPO_ROOT / "journey_map.yaml")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, journey_map) -> SimulationResult:
    """A fortnight of 250 journeys: enough for every convention, outcome and channel."""
    root = tmp_path_factory.mktemp("small")
    return simulate(root / "landing", journeys=250, start=START, days=14, seed=3, journey_map=journey_map,
                    truth_path=root / "truth.json")


@pytest.fixture(scope="session")
def large_run(tmp_path_factory, journey_map) -> SimulationResult:
    """Enough journeys to measure planted effect sizes with a few points of noise."""
    root = tmp_path_factory.mktemp("large")
    return simulate(root / "landing", journeys=2000, start=START, days=30, seed=11, journey_map=journey_map)
