"""Trace ingestion: OTLP/JSON landing files into the raw warehouse tables (no Dagster here).

`ingest_partition` replaces one UTC day of raw.spans, raw.conversations, raw.journey_events and
raw.ingest_quarantine; `landing_file_days` says which days a landing file feeds. See
docs/ingestion.md for how it works and docs/trace-contract.md for what it reads.
"""

from orchestration.ingest.load import ingest_partition, landing_file_days, landing_files_days
from orchestration.ingest.report import IngestReport

__all__ = ["IngestReport", "ingest_partition", "landing_file_days", "landing_files_days"]
