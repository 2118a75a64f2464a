"""The tables Python writes into the warehouse's `raw` schema, each declared once, here.

A table is a pyarrow schema (a non-nullable field is a `NOT NULL` column; `pa.json_()` is a
DuckDB `JSON` column) with its key and its partition column. Everything else is derived from it:
the DuckDB DDL and the migration of an older warehouse (`orchestration/warehouse.py`), the
Arrow tables writers build (`RawTable.rows`), and any other copy of the raw data (a Parquet lake
writes these schemas as they are). dbt declares the tables as sources
(`dbt_project/models/staging/_sources.yml`).

All timestamps are naive (UTC). `partition_date` is the UTC start date of the row's conversation
(or event): re-materializing a daily partition replaces exactly that partition's rows.

To add a column, append a nullable field at the end of its table: `ensure_raw_tables` adds it to
an older warehouse's table, where it lands last too, so old and new warehouses keep the same
columns in the same order (the existing rows hold null in it). Ingestion inserts every declared
column of the tables it writes (`orchestration/ingest/partition.py`, `index.py`), so a column
added to one of those needs its value in ingestion's select too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

RAW_SCHEMA = "raw"
PARTITION_COLUMN = "partition_date"


@dataclass(frozen=True)
class RawTable:
    """One raw table: its columns, the columns that identify a row, and the column a daily
    partition replaces by (None for the tables loaded whole or kept as an index)."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...] = ()
    partition_column: str | None = PARTITION_COLUMN

    def __post_init__(self) -> None:
        for column in (*self.key, *([self.partition_column] if self.partition_column else [])):
            if column not in self.schema.names:
                raise ValueError(f"raw.{self.name}: {column!r} is not one of its columns")

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    def rows(self, records: list[dict]) -> pa.Table:
        """`records` as an Arrow table of this table's columns (a missing key is null)."""
        return pa.Table.from_pylist(records, schema=self.schema)


def required(name: str, type_: pa.DataType) -> pa.Field:
    """A `NOT NULL` column."""
    return pa.field(name, type_, nullable=False)


def optional(name: str, type_: pa.DataType) -> pa.Field:
    return pa.field(name, type_)


TIMESTAMP = pa.timestamp("us")
# A conversation's transcript: its turns in order, role `customer` or `agent`.
TURNS = pa.list_(pa.struct([("role", pa.string()), ("text", pa.string()), ("ts", TIMESTAMP)]))

SPANS = RawTable(
    "spans",
    pa.schema(
        [
            required("trace_id", pa.string()),
            required("span_id", pa.string()),
            optional("parent_span_id", pa.string()),
            optional("conversation_id", pa.string()),
            optional("name", pa.string()),
            optional("kind", pa.string()),
            optional("otel_kind", pa.string()),
            optional("start_time", TIMESTAMP),
            optional("end_time", TIMESTAMP),
            optional("status_code", pa.string()),
            optional("status_message", pa.string()),
            optional("scope_name", pa.string()),
            optional("attributes", pa.json_()),
            optional("resource_attributes", pa.json_()),
            optional("events", pa.json_()),
            optional("source_file", pa.string()),
            optional("source_line", pa.int32()),
            required("partition_date", pa.date32()),
            required("ingested_at", TIMESTAMP),
            optional("scope_version", pa.string()),
            optional("scope_attributes", pa.json_()),
            optional("links", pa.json_()),
            optional("trace_state", pa.string()),
            optional("flags", pa.int64()),
            # Only with JOURNEYS_KEEP_RAW_PII: the originals redaction replaced, until purged.
            optional("attributes_raw", pa.json_()),
            optional("events_raw", pa.json_()),
        ]
    ),
    key=("trace_id", "span_id"),
)

CONVERSATIONS = RawTable(
    "conversations",
    pa.schema(
        [
            required("conversation_id", pa.string()),
            optional("journey_id", pa.string()),
            optional("customer_id", pa.string()),
            optional("journey_name", pa.string()),
            optional("stage", pa.string()),
            optional("channel", pa.string()),
            optional("agent_type", pa.string()),
            optional("segment", pa.string()),
            optional("consent", pa.string()),
            optional("started_at", TIMESTAMP),
            optional("ended_at", TIMESTAMP),
            optional("outcome", pa.string()),
            optional("turns", TURNS),
            optional("turn_count", pa.int32()),
            optional("span_count", pa.int32()),
            optional("trace_ids", pa.list_(pa.string())),
            optional("source_files", pa.list_(pa.string())),
            required("partition_date", pa.date32()),
            required("ingested_at", TIMESTAMP),
            # Consent (docs/privacy.md): as stated on this conversation's spans (null: not stated);
            # the effective consent is raw.customer_consent. transcript_kept is false once the turns
            # were removed for recording consent (orchestration/transcript_retention.py).
            optional("ai_evaluation_consent", pa.bool_()),
            optional("recording_consent", pa.bool_()),
            optional("transcript_kept", pa.bool_()),
        ]
    ),
    key=("conversation_id",),
)

JOURNEY_EVENTS = RawTable(
    "journey_events",
    pa.schema(
        [
            required("event_id", pa.string()),  # trace_id:span_id
            required("event_type", pa.string()),
            optional("journey_id", pa.string()),
            optional("customer_id", pa.string()),
            optional("journey_name", pa.string()),
            optional("csat_score", pa.int32()),
            optional("recorded_at", TIMESTAMP),
            optional("source_file", pa.string()),
            required("partition_date", pa.date32()),
            required("ingested_at", TIMESTAMP),
        ]
    ),
    key=("event_id",),
)

INGEST_QUARANTINE = RawTable(
    "ingest_quarantine",
    pa.schema(
        [
            optional("source_file", pa.string()),
            optional("line_number", pa.int32()),
            required("reason", pa.string()),
            optional("raw_text", pa.string()),
            optional("trace_id", pa.string()),
            optional("span_id", pa.string()),
            required("partition_date", pa.date32()),
            required("quarantined_at", TIMESTAMP),
        ]
    ),
)

EVALUATIONS = RawTable(
    "evaluations",
    pa.schema(
        [
            required("conversation_id", pa.string()),
            required("evaluator", pa.string()),
            optional("score", pa.float64()),
            optional("passed", pa.bool_()),
            required("status", pa.string()),
            optional("reason", pa.string()),
            optional("evidence", pa.json_()),
            optional("engine", pa.string()),
            optional("rubric_version", pa.string()),
            optional("latency_ms", pa.float64()),
            required("evaluated_at", TIMESTAMP),
            required("partition_date", pa.date32()),
            optional("decided_by", pa.string()),
        ]
    ),
    key=("conversation_id", "evaluator"),
)

# What ingestion redacted (orchestration/ingest/redact.py): distinct values per conversation and type.
PII_REDACTIONS = RawTable(
    "pii_redactions",
    pa.schema(
        [
            required("conversation_id", pa.string()),
            required("pii_type", pa.string()),
            required("redacted_count", pa.int32()),
            required("partition_date", pa.date32()),
            required("ingested_at", TIMESTAMP),
        ]
    ),
    key=("conversation_id", "pii_type"),
)

# Effective consent per conversation (orchestration/ingest/consent.py); every reader uses it.
CUSTOMER_CONSENT = RawTable(
    "customer_consent",
    pa.schema(
        [
            required("conversation_id", pa.string()),
            optional("customer_id", pa.string()),
            optional("started_at", TIMESTAMP),
            required("ai_evaluation", pa.bool_()),
            required("ai_evaluation_source", pa.string()),
            optional("ai_evaluation_stated_in", pa.string()),
            required("recording", pa.bool_()),
            required("recording_source", pa.string()),
            optional("recording_stated_in", pa.string()),
            required("partition_date", pa.date32()),
            required("ingested_at", TIMESTAMP),
        ]
    ),
    key=("conversation_id",),
)

# The journey map, loaded whole from its YAML on each run.
JOURNEY_MAP_STAGES = RawTable(
    "journey_map_stages",
    pa.schema(
        [
            required("journey_name", pa.string()),
            optional("journey_display_name", pa.string()),
            required("journey_map_version", pa.string()),
            required("stage", pa.string()),
            required("stage_order", pa.int32()),
            required("stage_count", pa.int32()),
            optional("min_resolution", pa.float64()),
            optional("min_quality", pa.float64()),
            optional("min_context_retention", pa.float64()),
            optional("min_completion_rate", pa.float64()),
        ]
    ),
    key=("journey_name", "stage"),
    partition_column=None,
)

JOURNEY_MAP_CHANNELS = RawTable(
    "journey_map_channels",
    pa.schema([required("journey_name", pa.string()), required("channel", pa.string())]),
    key=("journey_name", "channel"),
    partition_column=None,
)

# The landing index: which trace files have been read, and which traces each holds, so that a
# partition reads only the files that can hold its conversations.
LANDING_FILES = RawTable(
    "landing_files",
    pa.schema(
        [
            required("path", pa.string()),
            required("size_bytes", pa.int64()),
            required("mtime_ns", pa.int64()),
            required("line_count", pa.int32()),
            required("span_count", pa.int32()),
            required("quarantined_count", pa.int32()),
            required("home_day", pa.date32()),
            required("indexed_at", TIMESTAMP),
        ]
    ),
    key=("path",),
    partition_column=None,
)

LANDING_TRACES = RawTable(
    "landing_traces",
    pa.schema(
        [
            required("path", pa.string()),
            required("trace_id", pa.string()),
            optional("conversation_key", pa.string()),
            optional("key_rank", pa.int32()),
            optional("first_start", TIMESTAMP),
            required("span_count", pa.int32()),
        ]
    ),
    key=("path", "trace_id"),
    partition_column=None,
)

# The unredacted originals of JOURNEYS_KEEP_RAW_PII (docs/privacy.md): never exported from raw.spans.
RAW_PII_COLUMNS = {("spans", "attributes_raw"), ("spans", "events_raw")}

RAW_TABLES: dict[str, RawTable] = {
    table.name: table
    for table in (
        SPANS,
        CONVERSATIONS,
        JOURNEY_EVENTS,
        INGEST_QUARANTINE,
        EVALUATIONS,
        PII_REDACTIONS,
        CUSTOMER_CONSENT,
        JOURNEY_MAP_STAGES,
        JOURNEY_MAP_CHANNELS,
        LANDING_FILES,
        LANDING_TRACES,
    )
}
