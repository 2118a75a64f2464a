"""The one partitioning of the platform: UTC days, by the start date of each conversation."""

import dagster as dg

from orchestration.settings import Settings

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=Settings.from_env().partitions_start.isoformat(), timezone="UTC"
)
