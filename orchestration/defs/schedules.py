"""The daily schedule: yesterday's partition, end to end, at a configurable UTC time."""

import os

import dagster as dg

from orchestration.defs.jobs import daily_journeys_job


def _daily_at() -> tuple[int, int]:
    """JOURNEYS_DAILY_AT as HH:MM in UTC (default 02:00, after the day's late traces land)."""
    value = os.environ.get("JOURNEYS_DAILY_AT", "02:00")
    try:
        hour, minute = (int(part) for part in value.split(":"))
    except ValueError as exc:
        raise ValueError(f"JOURNEYS_DAILY_AT must be HH:MM, got {value!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"JOURNEYS_DAILY_AT must be a time of day, got {value!r}")
    return hour, minute


_hour, _minute = _daily_at()

# A schedule built from a daily-partitioned job targets the partition that just closed, i.e.
# yesterday (UTC).
daily_journeys_schedule = dg.build_schedule_from_partitioned_job(
    daily_journeys_job,
    name="daily_journeys_schedule",
    hour_of_day=_hour,
    minute_of_hour=_minute,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
