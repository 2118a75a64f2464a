from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory) -> Path:
    """A data directory of its own (landing, warehouse, serving, DAGSTER_HOME) for a module."""
    data = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYS_DATA_DIR", str(data))
        mp.setenv("JOURNEYS_LANDING_DIR", str(data / "landing"))
        mp.setenv("JOURNEYS_WAREHOUSE", str(data / "warehouse.duckdb"))
        mp.setenv("JOURNEYS_SERVING_DIR", str(data / "serving"))
        mp.setenv("DAGSTER_HOME", str(data / "dagster_home"))
        mp.setenv("JOURNEYS_EVAL_ENGINE", "local")
        yield data
