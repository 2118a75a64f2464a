"""Quality gates on a partition's conversations, run with Great Expectations 1.x (no Dagster here).

dagster-ge only supports GX < 1.0, so GX is called directly: an ephemeral context, a pandas data
source, one ExpectationSuite per journey map and a ValidationDefinition, all built once per process
(creating them is the slow part) and re-run on each partition's DataFrame. Each gate is a group of
expectations; its `QualityResult` unites their unexpected rows into the offending conversations
and the landing files they came from, so a failed check says exactly what to fix.

Gates:
- `journey_fields_present`: journey.stage, journey.id and customer.id are set (fails when more than
  `tolerance` conversations lack one);
- `stage_in_journey_map`: the stage is one the journey map declares for the conversation's journey
  (an unknown or missing journey.name fails too);
- `channel_in_journey_map`: the channel is one the map allows for the journey (a missing one fails);
- `timestamps_plausible`: started_at and ended_at set, started_at <= ended_at, not before 2000 and
  not more than `FUTURE_SKEW` ahead of now;
- `ids_not_null`: conversation_id set and unique, at least one trace id.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pandas as pd

from orchestration.journey_map import JourneyMap

MAX_LISTED = 50
FUTURE_SKEW = timedelta(minutes=10)
EARLIEST = pd.Timestamp("2000-01-01")
# Joins journey name and stage/channel into one comparable value; no name contains it.
_SEPARATOR = " \u2192 "
_MISSING = "<missing>"

JOURNEY_FIELDS = "journey_fields_present"
STAGE_IN_MAP = "stage_in_journey_map"
CHANNEL_IN_MAP = "channel_in_journey_map"
TIMESTAMPS = "timestamps_plausible"
IDS = "ids_not_null"
GATES = (JOURNEY_FIELDS, STAGE_IN_MAP, CHANNEL_IN_MAP, TIMESTAMPS, IDS)

GATE_DESCRIPTIONS = {
    JOURNEY_FIELDS: "conversations without journey.stage, journey.id or customer.id",
    STAGE_IN_MAP: "conversations whose stage the journey map does not declare for their journey",
    CHANNEL_IN_MAP: "conversations whose channel the journey map does not allow for their journey",
    TIMESTAMPS: "conversations with missing, reversed, pre-2000 or future timestamps",
    IDS: "conversations with a missing or repeated conversation_id, or no trace id",
}


@dataclass(frozen=True)
class QualityResult:
    """One gate's verdict on a partition, with the evidence to act on it."""

    name: str
    passed: bool
    unexpected_count: int
    description: str
    conversation_ids: list[str | None] = field(default_factory=list)  # the first MAX_LISTED offenders
    source_files: list[str] = field(default_factory=list)  # their landing files, first MAX_LISTED

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values, for `AssetCheckResult(metadata=...)`."""
        return {
            "passed": self.passed,
            "unexpected_count": self.unexpected_count,
            "description": self.description,
            "conversation_ids": self.conversation_ids,
            "source_files": self.source_files,
        }


def validate_conversations(
    conversations: pd.DataFrame, journey_map: JourneyMap, *, tolerance: int = 0, now: datetime | None = None
) -> list[QualityResult]:
    """Run every gate over `conversations` (rows of raw.conversations) and return one result per
    gate, in `GATES` order. `now` (default: the current time) bounds plausible timestamps."""
    now = now or datetime.now(UTC)
    frame = _prepared(conversations)
    validation = _validation(_map_key(journey_map))
    latest = pd.Timestamp(now.astimezone(UTC).replace(tzinfo=None) + FUTURE_SKEW)
    run = validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters={"latest_plausible": latest},
        result_format={"result_format": "COMPLETE"},
    )
    offenders: dict[str, set[Any]] = {gate: set() for gate in GATES}
    errors: dict[str, list[str]] = {gate: [] for gate in GATES}
    for result in run.results:
        gate = result.expectation_config.meta["gate"]
        if result.exception_info and result.exception_info.get("raised_exception"):
            errors[gate].append(str(result.exception_info.get("exception_message")))
        elif not result.success:
            offenders[gate].update(result.result.get("unexpected_index_list") or [])
    return [
        _result(
            gate,
            conversations,
            sorted(offenders[gate]),
            errors[gate],
            tolerance if gate == JOURNEY_FIELDS else 0,
        )
        for gate in GATES
    ]


def _result(
    gate: str, conversations: pd.DataFrame, rows: list[Any], errors: list[str], tolerance: int
) -> QualityResult:
    offending = conversations.loc[rows] if rows else conversations.iloc[0:0]
    ids = [str(v) if pd.notna(v) else None for v in offending["conversation_id"].head(MAX_LISTED)]
    files: list[str] = []
    for value in offending.get("source_files", pd.Series(dtype=object)):
        for path in list(value) if value is not None else []:
            if path not in files and len(files) < MAX_LISTED:
                files.append(path)
    passed = not errors and len(rows) <= tolerance
    description = f"{len(rows):,} of {len(conversations):,} {GATE_DESCRIPTIONS[gate]}"
    if tolerance:
        description += f" (tolerance {tolerance:,})"
    if errors:
        description += "; the check itself failed: " + "; ".join(errors)
    return QualityResult(gate, passed, len(rows), description, ids, files)


def _prepared(conversations: pd.DataFrame) -> pd.DataFrame:
    """The scalar columns the suite reads (GX cannot take list columns), blanks as missing, and
    the journey/stage and journey/channel pairs the map is checked against."""
    frame = pd.DataFrame(index=conversations.index)
    for column in ("conversation_id", "journey_id", "customer_id", "journey_name", "stage", "channel"):
        values = (
            conversations[column].astype(object)
            if column in conversations
            else pd.Series(None, index=frame.index)
        )
        frame[column] = values.where(values.notna() & (values.astype(str).str.strip() != ""), None)
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(conversations[column]) if column in conversations else pd.NaT
    journey = frame["journey_name"].fillna(_MISSING)
    frame["journey_stage"] = (journey + _SEPARATOR + frame["stage"].fillna("")).where(
        frame["stage"].notna(), None
    )
    frame["journey_channel"] = journey + _SEPARATOR + frame["channel"].fillna(_MISSING)
    traces = (
        conversations["trace_ids"] if "trace_ids" in conversations else pd.Series(None, index=frame.index)
    )
    frame["trace_id_count"] = [len(t) if t is not None else 0 for t in traces]
    return frame


def _map_key(journey_map: JourneyMap) -> tuple[tuple[str, ...], tuple[str, ...]]:
    stages = tuple(
        sorted(f"{j.name}{_SEPARATOR}{s}" for j in journey_map.journeys.values() for s in j.stage_names)
    )
    channels = tuple(
        sorted(f"{j.name}{_SEPARATOR}{c}" for j in journey_map.journeys.values() for c in j.channels)
    )
    return stages, channels


@cache
def _context() -> Any:
    # No usage statistics leave the machine, and no progress bars or info logs in our output.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("journeys").add_dataframe_asset("conversations")
    return context, asset.add_batch_definition_whole_dataframe("partition")


@cache
def _validation(map_key: tuple[tuple[str, ...], tuple[str, ...]]) -> Any:
    """The ValidationDefinition for one journey map (built once per map and process)."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    context, batch_definition = _context()
    stages, channels = map_key
    name = f"conversations-{len(context.suites.all())}"
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    plan: dict[str, list[Any]] = {
        JOURNEY_FIELDS: [
            gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("stage", "journey_id", "customer_id")
        ],
        STAGE_IN_MAP: [gxe.ExpectColumnValuesToBeInSet(column="journey_stage", value_set=list(stages))],
        CHANNEL_IN_MAP: [gxe.ExpectColumnValuesToBeInSet(column="journey_channel", value_set=list(channels))],
        TIMESTAMPS: [
            gxe.ExpectColumnValuesToNotBeNull(column="started_at"),
            gxe.ExpectColumnValuesToNotBeNull(column="ended_at"),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ended_at", column_B="started_at", or_equal=True
            ),
            *(
                gxe.ExpectColumnValuesToBeBetween(
                    column=c, min_value=EARLIEST, max_value={"$PARAMETER": "latest_plausible"}
                )
                for c in ("started_at", "ended_at")
            ),
        ],
        IDS: [
            gxe.ExpectColumnValuesToNotBeNull(column="conversation_id"),
            gxe.ExpectColumnValuesToBeUnique(column="conversation_id"),
            gxe.ExpectColumnValuesToBeBetween(column="trace_id_count", min_value=1),
        ],
    }
    for gate, expectations in plan.items():
        for expectation in expectations:
            expectation.meta = {"gate": gate}
            suite.add_expectation(expectation)
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
