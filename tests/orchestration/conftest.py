from pathlib import Path

import pytest
from platform_settings import platform_settings


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory) -> Path:
    """A data directory of its own (landing, warehouse, serving, DAGSTER_HOME) for a module."""
    with platform_settings(tmp_path_factory.mktemp("data")) as data:
        yield data


@pytest.fixture
def landing(tmp_path, monkeypatch) -> Path:
    """An empty landing directory, which JOURNEYS_LANDING_DIR (the sensors' setting) points to."""
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("JOURNEYS_LANDING_DIR", str(landing))
    return landing
