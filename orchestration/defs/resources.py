"""Resources, built from the platform's `Settings` (`platform_resources`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from evals import JudgeConfig
from orchestration import alerts, lake, scoring, warehouse
from orchestration.journey_map import JourneyMap, load_journey_map
from orchestration.settings import Settings, spark_warehouse_dir

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
    memory_limit: str = ""  # DuckDB's memory_limit (Settings.duckdb_memory_limit); "" = DuckDB's default

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.warehouse(self.path, memory_limit=self.memory_limit or None) as con:
            yield con
            if self.engine == "spark":
                lake.sync_lake(con, self.lake_dir)

    def day_conversations(self, day: date) -> pd.DataFrame:
        """raw.conversations for one day, without the transcript, from the engine that holds it."""
        if self.engine == "spark":
            return lake.read_partition(self.lake_dir, "conversations", day, exclude=("turns",))
        with warehouse.warehouse(self.path, memory_limit=self.memory_limit or None) as con:
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
    """Which evaluator engine scores conversations (run config may override it per run), and
    where the LLM judge keeps its verdict cache."""

    engine: str
    judge_cache: str

    def judge_config(self, engine: str) -> JudgeConfig | None:
        """How to reach the judge for `engine` (None for the local engine, which calls none)."""
        return scoring.judge_config(engine, Path(self.judge_cache))


class AlertsResource(dg.ConfigurableResource):
    """Where alerts are recorded, and the webhook they are posted to ("" = none)."""

    path: str
    webhook: str = ""

    def send(self, alert: dict, log: logging.Logger = alerts.logger) -> dict:
        return alerts.send_alert(alert, path=Path(self.path), webhook=self.webhook, log=log)


class QualityGateResource(dg.ConfigurableResource):
    """How many conversations missing journey.stage, journey.id or customer.id a day may hold
    before its rollups are blocked (JOURNEYS_MISSING_JOURNEY_TOLERANCE, default 0)."""

    tolerance: int = 0


def platform_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource the assets, checks and sensors use, from one `Settings` (dbt's is added
    by the definitions, which own the dbt project)."""
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            engine=settings.warehouse_engine,
            lake_dir=settings.lake_dir,
            data_dir=str(settings.data_dir),
            memory_limit=settings.duckdb_memory_limit,
        ),
        "landing": LandingResource(directory=str(settings.landing_dir)),
        "serving": ServingResource(
            directory=str(settings.serving_dir),
            evaluation_events_endpoint=settings.evaluation_events_endpoint,
        ),
        "journey_map_file": JourneyMapResource(path=str(settings.journey_map)),
        "evaluator": EvaluatorResource(engine=settings.eval_engine, judge_cache=str(settings.llm_cache)),
        "quality_gate": QualityGateResource(tolerance=settings.missing_journey_tolerance),
        "alerts": AlertsResource(path=str(alerts.alerts_file(settings)), webhook=settings.alert_webhook),
    }
