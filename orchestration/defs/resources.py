"""Resources, built from the platform's `Settings` (`platform_resources`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from evals import JudgeConfig
from orchestration import alerts, scoring, warehouse
from orchestration.journey_map import JourneyMap, load_journey_map
from orchestration.settings import Settings

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
        "warehouse": WarehouseResource(path=str(settings.warehouse)),
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
