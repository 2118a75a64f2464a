"""Sensors: late or new trace files re-trigger their days; failed runs raise an alert."""


import hashlib
import time
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from orchestration.defs.assets.ingest import CONVERSATIONS_KEY
from orchestration.defs.jobs import daily_journeys_job
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import AlertsResource, LandingResource
from orchestration.ingest import landing_files_days
from orchestration.ingest.arrivals import arrivals
from orchestration.ingest.landing import scan_landing
from orchestration.materialization import RANGE_END_TAG, RANGE_START_TAG

BACKFILL_ID_TAG = "dagster/backfill"


def _last_ingested_at(instance: dg.DagsterInstance, day: str) -> float | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=CONVERSATIONS_KEY, asset_partitions=[day]), limit=1
    ).records
    return records[0].timestamp if records else None


def days_to_refresh(
    instance: dg.DagsterInstance, landing_dir: Path, cursor: str | None, now_ns: int
) -> tuple[dict[str, str], str]:
    """The days to re-materialize, each with a key naming the deliveries that call for it, plus
    the cursor to remember (arrivals.py). `cursor` is None on the sensor's first look.

    A file that arrived since the last look (new, or changed) calls for its days. On the first
    look there is nothing to compare with, so a file calls for a day only if it is newer than
    the day's last ingestion: files `journeys materialize` or a backfill already ingested trigger
    nothing. After that a new file counts whatever its mtime, since `cp -p`, rsync and tar keep
    the sender's. A file's content never fails the sensor: what cannot be read is quarantined on
    the file's day (`landing_files_days`), which the file then calls for."""
    found = arrivals(scan_landing(landing_dir), cursor, now_ns)
    days_of = landing_files_days(found.files)
    valid_days = set(daily_partitions.get_partition_keys())
    deliveries: dict[str, list[str]] = {}
    ingested: dict[str, float | None] = {}
    for file in found.files:
        for day in sorted(d.isoformat() for d in days_of[file.path]):
            if day not in valid_days:
                continue
            if found.first_look:
                if day not in ingested:  # one event-log query per day, not per file and day
                    ingested[day] = _last_ingested_at(instance, day)
                if ingested[day] is not None and file.mtime_ns / 1e9 <= ingested[day]:
                    continue
            deliveries.setdefault(day, []).append(f"{file.path}@{file.mtime_ns}:{file.size_bytes}")
    due = {
        day: hashlib.sha1("\n".join(sorted(paths)).encode()).hexdigest()[:12]
        for day, paths in deliveries.items()
    }
    return due, found.cursor


@dg.sensor(
    job=daily_journeys_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing directory; new or changed trace files re-materialize the days they contain.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource) -> dg.SensorResult:
    landing_dir = landing.path
    due, cursor = days_to_refresh(context.instance, landing_dir, context.cursor, time.time_ns())
    requests = [
        # The run key names the deliveries, so a day re-runs once per new or changed file set.
        dg.RunRequest(partition_key=day, run_key=f"{day}@{key}", tags={"journeys/trigger": "landing"})
        for day, key in sorted(due.items())
    ]
    skip = None if requests else dg.SkipReason(f"No new trace files for ingested days in {landing_dir}")
    return dg.SensorResult(run_requests=requests, cursor=cursor, skip_reason=skip)


def _partitions(tags: Mapping[str, str]) -> str | None:
    """The day a run covered, or the `first..last` range of a single-run backfill."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    first, last = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if first and last:
        return first if first == last else f"{first}..{last}"
    return None


# No monitored_jobs: a backfill launched on assets in the UI runs as Dagster's implicit asset
# job, which a list of our jobs would leave unwatched.
@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an alert record for each failed run of this code location and posts it to "
    "JOURNEYS_ALERT_WEBHOOK when set.",
)
def run_failure_alert(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    run = context.dagster_run
    alerts.send(
        {
            "kind": "run_failure",
            "job": run.job_name,
            "run_id": run.run_id,
            "partition": _partitions(run.tags),
            "backfill": run.tags.get(BACKFILL_ID_TAG),
            "message": context.failure_event.message or "run failed",
            "failed_steps": [e.step_key for e in context.get_step_failure_events()],
        },
        log=context.log,
    )


@dg.asset_sensor(
    asset_key=CONVERSATIONS_KEY,
    job=daily_journeys_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A day's ingestion can find late spans of a conversation that started on an earlier "
    "day (a file holding only its tail); this re-materializes that earlier day.",
)
def related_days_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    metadata = asset_event.asset_materialization.metadata
    related = metadata.get("related_days")
    valid_days = set(daily_partitions.get_partition_keys())
    for day in (related.value if related is not None else []):
        if day in valid_days:
            # Keyed on the triggering event: each late delivery re-runs the day once. The re-run
            # finds no new file, so it names no related day in turn.
            yield dg.RunRequest(
                partition_key=day,
                run_key=f"related:{day}:{asset_event.run_id}",
                tags={"journeys/trigger": "late-spans"},
            )
