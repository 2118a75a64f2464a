"""Resources, configured from the environment (`.env.example` lists every variable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from orchestration import lake, warehouse
from orchestration.journey_map import JourneyMap, load_journey_map
from orchestration.settings import spark_warehouse_dir

# Every Dagster asset or check that opens the warehouse for writing runs in this pool; its
# limit of 1 (dagster.yaml) is what keeps parallel runs and backfills off each other's lock.
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. With the spark engine (JOURNEYS_WAREHOUSE_ENGINE) it is the
    Python side's working file: what the assets write there is exported to the Parquet lake
    dbt-spark reads (orchestration/lake.py), and the marts are read from Spark's warehouse."""

    path: str
    engine: str = "duckdb"
    lake_dir: str = ""
    data_dir: str = ""  # the spark engine's warehouse directory is under it

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.warehouse(self.path) as con:
            yield con
            if self.engine == "spark":
                lake.sync_lake(con, self.lake_dir)

    def day_conversations(self, day: date) -> pd.DataFrame:
        """raw.conversations for one day, without the transcript, from the engine that holds it."""
        if self.engine == "spark":
            return lake.read_partition(self.lake_dir, "conversations", day, exclude=("turns",))
        with warehouse.warehouse(self.path) as con:
            return con.execute(
                "select * exclude (turns) from raw.conversations where partition_date = ?", [day]
            ).df()

    @contextmanager
    def read_marts(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection on which `marts.<table>` are the marts dbt built, on either engine."""
        if self.engine == "spark":
            with lake.tables_reader(spark_warehouse_dir(self.data_dir), "marts") as con:
                yield con
        else:
            with self.connect() as con:
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
