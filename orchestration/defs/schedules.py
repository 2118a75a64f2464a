"""The daily schedule: yesterday's partition, end to end, at a configurable UTC time."""

import dagster as dg

from orchestration.defs.jobs import daily_journeys_job
from orchestration.settings import Settings


def build_daily_journeys_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """The daily run at `settings.daily_at` (JOURNEYS_DAILY_AT, UTC; default 02:00, after the
    day's late traces land). A schedule built from a daily-partitioned job targets the partition
    that just closed, i.e. yesterday (UTC)."""
    return dg.build_schedule_from_partitioned_job(
        daily_journeys_job,
        name="daily_journeys_schedule",
        hour_of_day=settings.daily_at.hour,
        minute_of_hour=settings.daily_at.minute,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
