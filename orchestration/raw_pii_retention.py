"""The originals JOURNEYS_KEEP_RAW_PII keeps in raw.spans, removed once past their retention.

With the opt-in, ingestion keeps the attributes and events that redaction changed, as decoded, in
raw.spans' `attributes_raw` and `events_raw` (nowhere else). They are kept for
JOURNEYS_RAW_PII_RETENTION_DAYS after the span was ingested (`ingested_at`, UTC); the daily purge
sets older ones to null. A re-ingest of a day stores them again, with a new `ingested_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from orchestration.warehouse import RAW_SCHEMA, ensure_raw_tables

_EXPIRED = "ingested_at < $cutoff and (attributes_raw is not null or events_raw is not null)"


def purge_raw_pii(con: duckdb.DuckDBPyConnection, retention_days: int, now: datetime | None = None) -> int:
    """Null the originals ingested more than `retention_days` before `now` (default: the current
    UTC time); the number of values removed (an attributes and an events original count apart)."""
    if retention_days < 0:
        raise ValueError(f"JOURNEYS_RAW_PII_RETENTION_DAYS={retention_days}: must be 0 or more")
    ensure_raw_tables(con)
    cutoff = (now or datetime.now(UTC)).replace(tzinfo=None) - timedelta(days=retention_days)
    con.execute("begin transaction")
    try:
        (removed,) = con.execute(
            "select coalesce(sum((attributes_raw is not null)::integer + (events_raw is not null)::integer), 0) "
            f"from {RAW_SCHEMA}.spans where {_EXPIRED}",
            {"cutoff": cutoff},
        ).fetchone()
        con.execute(
            f"update {RAW_SCHEMA}.spans set attributes_raw = null, events_raw = null where {_EXPIRED}",
            {"cutoff": cutoff},
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return int(removed)
