"""The journey map: which stages each journey has, in which order, over which channels.

Marts use the order to decide what a "later stage" is, quality checks use it to know the
valid stages and channels, and routing signals compare evaluator scores with its thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

# An average re-computed over the same rows can differ in its last binary digit
# (0.94000000000000001 vs 0.93999999999999998): every comparison with a threshold allows this
# much, so a re-materialization never flips a verdict; stored values are never rounded. dbt's copy
# is the var `threshold_tolerance` in dbt_project.yml (macros/thresholds.sql).
THRESHOLD_TOLERANCE = 1e-9


def below_threshold(value: float, threshold: float) -> bool:
    """True when `value` falls short of `threshold` by more than rounding."""
    return value < threshold - THRESHOLD_TOLERANCE


class JourneyMapError(ValueError):
    """The journey map file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Thresholds:
    min_resolution: float = 0.70
    min_quality: float = 0.60
    min_context_retention: float = 0.70
    min_completion_rate: float = 0.80

    def merged(self, overrides: dict[str, Any] | None, where: str) -> Thresholds:
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise JourneyMapError(f"{where}: unknown threshold(s) {sorted(unknown)}; known: {sorted(known)}")
        values = {**self.__dict__}
        for key, value in overrides.items():
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise JourneyMapError(f"{where}: threshold {key}={value!r} must be a number in [0, 1]")
            values[key] = float(value)
        return Thresholds(**values)


@dataclass(frozen=True)
class Stage:
    name: str
    order: int  # 1-based position in the journey's intended path
    thresholds: Thresholds


@dataclass(frozen=True)
class Journey:
    name: str
    display_name: str
    channels: tuple[str, ...]
    stages: tuple[Stage, ...]

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)


@dataclass(frozen=True)
class JourneyMap:
    version: str
    journeys: dict[str, Journey] = field(default_factory=dict)

    def journey(self, name: str) -> Journey | None:
        return self.journeys.get(name)

    def is_valid_stage(self, journey_name: str, stage: str) -> bool:
        journey = self.journeys.get(journey_name)
        return journey is not None and journey.stage(stage) is not None

    def is_valid_channel(self, journey_name: str, channel: str) -> bool:
        journey = self.journeys.get(journey_name)
        return journey is not None and channel in journey.channels

    def stage_rows(self) -> list[dict[str, Any]]:
        """One row per (journey, stage): the `raw.journey_map_stages` table dbt reads."""
        return [
            {
                "journey_name": j.name,
                "journey_display_name": j.display_name,
                "journey_map_version": self.version,
                "stage": s.name,
                "stage_order": s.order,
                "stage_count": len(j.stages),
                **s.thresholds.__dict__,
            }
            for j in self.journeys.values()
            for s in j.stages
        ]

    def channel_rows(self) -> list[dict[str, Any]]:
        """One row per (journey, allowed channel): the `raw.journey_map_channels` table."""
        return [{"journey_name": j.name, "channel": c} for j in self.journeys.values() for c in j.channels]


def _require(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise JourneyMapError(f"{where}: missing required key {key!r}")
    return mapping[key]


def parse_journey_map(doc: Any, source: str = "<journey map>") -> JourneyMap:
    if not isinstance(doc, dict):
        raise JourneyMapError(f"{source}: expected a mapping at the top level")
    version = str(_require(doc, "version", source))
    defaults = Thresholds().merged((doc.get("defaults") or {}).get("thresholds"), f"{source}: defaults")
    journeys_doc = _require(doc, "journeys", source)
    if not isinstance(journeys_doc, dict) or not journeys_doc:
        raise JourneyMapError(f"{source}: 'journeys' must be a non-empty mapping")

    journeys: dict[str, Journey] = {}
    for name, jdoc in journeys_doc.items():
        where = f"{source}: journey {name!r}"
        channels = _require(jdoc, "channels", where)
        stages_doc = _require(jdoc, "stages", where)
        if not isinstance(channels, list) or not channels:
            raise JourneyMapError(f"{where}: 'channels' must be a non-empty list")
        if not isinstance(stages_doc, list) or not stages_doc:
            raise JourneyMapError(f"{where}: 'stages' must be a non-empty list")
        stages = []
        for order, sdoc in enumerate(stages_doc, start=1):
            sdoc = {"name": sdoc} if isinstance(sdoc, str) else sdoc
            sname = str(_require(sdoc, "name", f"{where}, stage #{order}"))
            stages.append(
                Stage(sname, order, defaults.merged(sdoc.get("thresholds"), f"{where}, stage {sname!r}"))
            )
        if len({s.name for s in stages}) != len(stages):
            raise JourneyMapError(f"{where}: stage names must be unique")
        journeys[str(name)] = Journey(
            name=str(name),
            display_name=str(jdoc.get("display_name", name)),
            channels=tuple(str(c) for c in channels),
            stages=tuple(stages),
        )
    return JourneyMap(version=version, journeys=journeys)


def load_journey_map(path: str | Path) -> JourneyMap:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise JourneyMapError(f"journey map not found: {path} (set JOURNEYS_JOURNEY_MAP)") from exc
    except yaml.YAMLError as exc:
        raise JourneyMapError(f"{path}: not valid YAML: {exc}") from exc
    return parse_journey_map(doc, str(path))
