"""Run the asset graph over a range of days through Dagster, the way an asset backfill does,
and explain what failed in words a user can act on.

Each asset's backfill policy decides how it runs: ingestion, quality gates and evaluators run
one day per run (a failing gate blocks only its own day), the partitioned dbt models run once
over each block of consecutive good days, and the unpartitioned assets (the journey map, the
cohort marts, the serving snapshot) run once. Every run is recorded in the Dagster instance.
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.defs.assets.ingest import CONVERSATIONS_KEY
from orchestration.run_lifecycle import StopOnSignal, process_tags

# Dagster's console logger would print every event of every run; the CLI shows progress and a
# summary instead, and the full logs stay in the Dagster UI's run history.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass
class CheckFailure:
    asset: str
    check: str
    description: str
    metadata: dict[str, Any]


@dataclass
class RunOutcome:
    label: str
    run_id: str
    success: bool
    seconds: float
    failed_checks: list[CheckFailure] = field(default_factory=list)
    failed_steps: dict[str, str] = field(default_factory=dict)
    held_back: list[dg.AssetKey] = field(default_factory=list)  # planned, never materialized
    conversations: int | None = None
    quarantined: int | None = None

    def line(self) -> str:
        counts = (
            f"  {self.conversations} conversations, {self.quarantined} quarantined"
            if self.conversations is not None
            else ""
        )
        return f"{self.label:34} {'ok' if self.success else 'FAILED':6} {self.seconds:6.1f}s{counts}  run {self.run_id[:8]}"

    def explain(self) -> str:
        """Which check or step failed, what it found, and what was held back because of it."""
        lines = []
        for failure in self.failed_checks:
            lines.append(f"  check {failure.asset}:{failure.check} failed: {failure.description}")
            for key in ("unexpected_count", "conversation_ids", "source_files"):
                if key in failure.metadata:
                    lines.append(f"    {key}: {failure.metadata[key]}")
        for step, message in self.failed_steps.items():
            lines.append(f"  step {step} failed: {message}")
        if self.held_back:
            lines.append(f"  not built because of it: {summarize_keys(self.held_back)}")
        return "\n".join(lines)


def summarize_keys(keys: list[dg.AssetKey]) -> str:
    """`raw/evaluations, 14 staging/* and marts/* ...` rather than forty asset keys."""
    by_prefix: dict[str, list[str]] = {}
    for key in keys:
        by_prefix.setdefault(key.path[0], []).append(key.to_user_string())
    parts = [
        ", ".join(names) if len(names) <= 3 else f"{len(names)} {prefix}/* assets"
        for prefix, names in sorted(by_prefix.items())
    ]
    return "; ".join(parts)


@dataclass(frozen=True)
class RangePlan:
    """The selected assets, grouped by how a backfill runs them."""

    before: list[dg.AssetKey]  # unpartitioned, upstream of the partitioned ones
    per_day: list[dg.AssetKey]
    per_range: list[dg.AssetKey]  # single-run backfill policy
    after: list[dg.AssetKey]  # unpartitioned, downstream


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def consecutive_blocks(days: list[date]) -> list[tuple[date, date]]:
    """[d1, d2, d3, d5] -> [(d1, d3), (d5, d5)]: a range run must not span a blocked day."""
    blocks: list[tuple[date, date]] = []
    for day in sorted(days):
        if blocks and blocks[-1][1] + timedelta(days=1) == day:
            blocks[-1] = (blocks[-1][0], day)
        else:
            blocks.append((day, day))
    return blocks


def resolve_selection(defs: dg.Definitions, select: str | None) -> set[dg.AssetKey]:
    """Dagster's asset selection syntax (e.g. `key:raw/*`, `group:marts`, `+key:marts/journeys`);
    everything when `select` is empty."""
    graph = defs.resolve_asset_graph()
    if not select:
        return set(graph.materializable_asset_keys)
    # A multi-asset (ingestion writes four tables in one pass) runs whole or not at all.
    selection = dg.AssetSelection.from_string(select).required_multi_asset_neighbors()
    keys = selection.resolve(graph)
    if not keys:
        raise ValueError(f"--select {select!r} matches no asset")
    return set(keys)


def plan_range(defs: dg.Definitions, keys: set[dg.AssetKey]) -> RangePlan:
    graph = defs.resolve_asset_graph()
    partitioned = {k for k in keys if graph.get(k).is_partitioned}
    upstream_of_partitioned = set().union(*(graph.get_ancestor_asset_keys(k) for k in partitioned))

    def single_run(key: dg.AssetKey) -> bool:
        policy = graph.get(key).backfill_policy
        return policy is not None and policy.max_partitions_per_run is None

    def ordered(group: set[dg.AssetKey]) -> list[dg.AssetKey]:
        return sorted(group, key=lambda k: k.path)

    unpartitioned = keys - partitioned
    return RangePlan(
        before=ordered(unpartitioned & upstream_of_partitioned),
        per_day=ordered({k for k in partitioned if not single_run(k)}),
        per_range=ordered({k for k in partitioned if single_run(k)}),
        after=ordered(unpartitioned - upstream_of_partitioned),
    )


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _outcome(
    label: str, result: dg.ExecuteInProcessResult, selection: list[dg.AssetKey], seconds: float
) -> RunOutcome:
    outcome = RunOutcome(label=label, run_id=result.run_id, success=result.success, seconds=seconds)
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
    materialized = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    outcome.held_back = sorted(set(selection) - materialized, key=lambda k: k.path)
    for event in result.get_asset_materialization_events():
        if event.materialization.asset_key == CONVERSATIONS_KEY:
            meta = event.materialization.metadata
            outcome.conversations = _metadata_value(meta.get("conversations"))
            outcome.quarantined = _metadata_value(meta.get("quarantined"))
    return outcome


def execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    label: str,
    asset_selection: list[dg.AssetKey],
    *,
    partition_key: str | None = None,
    partition_range: tuple[date, date] | None = None,
    tags: dict[str, str] | None = None,
    log_path: Path | None = None,
    stopper: StopOnSignal | None = None,
) -> RunOutcome:
    """One run of `job` over `asset_selection`, recorded in `instance` (the UI shows it),
    tagged with this process so that a later materialization can tell if it was killed.

    dbt's own output (hundreds of lines per build) goes to `log_path` rather than the
    terminal; the Dagster UI keeps it too, in the run's compute logs. With a `stopper`, Ctrl-C
    and SIGTERM cancel the run (`Interrupted` is raised)."""
    run_tags = {"journeys/trigger": "cli", **(tags or {}), **process_tags()}
    if partition_range is not None:
        run_tags |= {RANGE_START_TAG: partition_range[0].isoformat(), RANGE_END_TAG: partition_range[1].isoformat()}
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(log_path, "a"))))
        work = functools.partial(
            job.execute_in_process,
            partition_key=partition_key,
            instance=instance,
            asset_selection=asset_selection,
            raise_on_error=False,
            run_config=QUIET_RUN_CONFIG,
            tags=run_tags,
        )
        result = stopper.run(work) if stopper is not None else work()
    return _outcome(label, result, asset_selection, time.monotonic() - started)
