"""Resources, configured from the environment (`.env.example` lists every variable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import warehouse
from orchestration.journey_map import JourneyMap, load_journey_map

# Every Dagster asset or check that opens the warehouse for writing runs in this pool; its
# limit of 1 (dagster.yaml) is what keeps parallel runs and backfills off each other's lock.
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.warehouse(self.path) as con:
            yield con


class LandingResource(dg.ConfigurableResource):
    """The directory OTLP trace files land in (written by `journeys serve` or a collector)."""

    directory: str

    @property
    def path(self) -> Path:
        return Path(self.directory)


class ServingResource(dg.ConfigurableResource):
    """Where the read-only serving snapshot is published for Streamlit and orchestrators, and
    the OTLP/HTTP endpoint routing signals are written back to as evaluation events ("" = off)."""

    directory: str
    evaluation_events_endpoint: str = ""

    @property
    def path(self) -> Path:
        return Path(self.directory)


class JourneyMapResource(dg.ConfigurableResource):
    """The versioned journey map YAML."""

    path: str

    def load(self) -> JourneyMap:
        return load_journey_map(self.path)


class EvaluatorResource(dg.ConfigurableResource):
    """Which evaluator engine scores conversations; run config may override it per run."""

    engine: str = "local"


class QualityGateResource(dg.ConfigurableResource):
    """How many conversations missing journey.stage, journey.id or customer.id a day may hold
    before its rollups are blocked (JOURNEYS_MISSING_JOURNEY_TOLERANCE, default 0)."""

    tolerance: int = 0
