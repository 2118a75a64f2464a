"""Pointing every platform setting at one data directory, for tests that run the whole stack."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def platform_settings(data: Path) -> Iterator[Path]:
    """Landing, warehouse, serving and DAGSTER_HOME under `data`, the local engine; put back after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYS_DATA_DIR", str(data))
        mp.setenv("JOURNEYS_LANDING_DIR", str(data / "landing"))
        mp.setenv("JOURNEYS_WAREHOUSE", str(data / "warehouse.duckdb"))
        mp.setenv("JOURNEYS_SERVING_DIR", str(data / "serving"))
        mp.setenv("DAGSTER_HOME", str(data / "dagster_home"))
        mp.setenv("JOURNEYS_EVAL_ENGINE", "local")
        yield data
