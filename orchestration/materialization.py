"""Run the asset graph for a range of days through Dagster, one run per daily partition, and
explain what failed in words a user can act on."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import dagster as dg

# Dagster's console logger would print every event of every run; the CLI shows progress and a
# summary instead, and the full logs stay in the Dagster UI's run history.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class CheckFailure:
    asset: str
    check: str
    description: str
    metadata: dict[str, Any]


@dataclass
class PartitionOutcome:
    day: str
    run_id: str
    success: bool
    seconds: float
    failed_checks: list[CheckFailure] = field(default_factory=list)
    failed_steps: dict[str, str] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)
    conversations: int | None = None
    quarantined: int | None = None

    def explain(self) -> str:
        """Which check or step failed, what it found, and what was held back because of it."""
        lines = []
        for failure in self.failed_checks:
            lines.append(f"  check {failure.asset}:{failure.check} failed: {failure.description}")
            for key in ("offending_conversation_ids", "offending_source_files", "unexpected_count"):
                if key in failure.metadata:
                    lines.append(f"    {key}: {failure.metadata[key]}")
        for step, message in self.failed_steps.items():
            lines.append(f"  step {step} failed: {message}")
        if self.skipped_steps:
            lines.append(f"  not run because of it: {', '.join(sorted(self.skipped_steps))}")
        return "\n".join(lines)


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def resolve_selection(defs: dg.Definitions, select: str | None) -> list[dg.AssetKey] | None:
    """Dagster's asset selection syntax (e.g. `key:raw/*`, `group:marts`, `+key:marts/journeys`)."""
    if not select:
        return None
    # A multi-asset (ingestion writes four tables in one pass) runs whole or not at all.
    selection = dg.AssetSelection.from_string(select).required_multi_asset_neighbors()
    keys = selection.resolve(defs.resolve_asset_graph())
    if not keys:
        raise ValueError(f"--select {select!r} matches no asset")
    return sorted(keys, key=lambda k: k.path)


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _outcome(day: str, result: dg.ExecuteInProcessResult, seconds: float) -> PartitionOutcome:
    outcome = PartitionOutcome(day=day, run_id=result.run_id, success=result.success, seconds=seconds)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            outcome.failed_checks.append(
                CheckFailure(
                    asset=evaluation.asset_key.to_user_string(),
                    check=evaluation.check_name,
                    description=evaluation.description or "",
                    metadata={k: _metadata_value(v) for k, v in evaluation.metadata.items()},
                )
            )
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        # A failed blocking check fails its step too; the check itself is reported above.
        if error is None or error.cls_name != "DagsterAssetCheckFailedError":
            outcome.failed_steps[event.step_key] = error.message.strip().splitlines()[0] if error else "failed"
    outcome.skipped_steps = [event.step_key for event in result.get_step_skipped_events()]
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key == dg.AssetKey(["raw", "conversations"]):
            meta = materialization.metadata
            outcome.conversations = _metadata_value(meta.get("conversations"))
            outcome.quarantined = _metadata_value(meta.get("quarantined"))
    return outcome


def materialize_day(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    day: date,
    asset_selection: list[dg.AssetKey] | None = None,
    tags: dict[str, str] | None = None,
) -> PartitionOutcome:
    """One run of `job` for one day, recorded in `instance` (so the Dagster UI shows it)."""
    started = time.monotonic()
    result = job.execute_in_process(
        partition_key=day.isoformat(),
        instance=instance,
        asset_selection=asset_selection,
        raise_on_error=False,
        run_config=QUIET_RUN_CONFIG,
        tags={"journeys/trigger": "cli", **(tags or {})},
    )
    return _outcome(day.isoformat(), result, time.monotonic() - started)
