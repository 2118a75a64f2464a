"""The resources the ingestion and evaluation assets need, pointed at one data directory, for
tests that call `dg.materialize` on those assets alone."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs.resources import (
    EvaluatorResource,
    JourneyMapResource,
    LandingResource,
    QualityGateResource,
    WarehouseResource,
)

JOURNEY_MAP = Path(__file__).resolve().parents[1] / "journey_map.yaml"


def asset_resources(data: Path) -> dict[str, dg.ConfigurableResource]:
    """`data/warehouse.duckdb`, `data/landing`, the repo's journey map, the local engine and no
    tolerance for conversations without journey attributes."""
    return {
        "warehouse": WarehouseResource(path=str(data / "warehouse.duckdb")),
        "landing": LandingResource(directory=str(data / "landing")),
        "evaluator": EvaluatorResource(engine="local", judge_cache=str(data / "judge.sqlite")),
        "journey_map_file": JourneyMapResource(path=str(JOURNEY_MAP)),
        "quality_gate": QualityGateResource(tolerance=0),
    }
