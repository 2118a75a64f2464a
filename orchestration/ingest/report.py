"""What one partition's ingestion did, for Dagster metadata and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class IngestReport:
    day: date
    files_listed: int = 0  # trace files in the landing directory
    files_indexed: int = 0  # new or changed files read into the landing index by this run
    files_forgotten: int = 0  # files gone from the landing directory, dropped from the index
    files_read: int = 0  # files holding spans of this partition (each read once per run)
    files_from_cache: int = 0  # files this run took decoded from the decode cache (decode_cache.py)
    bytes_read: int = 0  # on disk (compressed when gzip) of the files this run read, decoded or cached
    spans: int = 0  # stored in raw.spans for the partition
    duplicate_spans: int = 0  # copies of a (trace id, span id) already stored, skipped
    conversations: int = 0
    journey_events: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    # Personal data values redacted from the partition's conversations, by type (raw.pii_redactions).
    redacted_by_type: dict[str, int] = field(default_factory=dict)
    # Other partitions to re-materialize: those whose conversations the newly indexed files add to,
    # and those this run moved rows of its conversations away from (partition.replace_day).
    related_days: list[date] = field(default_factory=list)
    seconds: float = 0.0
    redaction_seconds: float = 0.0  # spent redacting in the decoders (redact.py), summed over their processes

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values, for `MaterializeResult(metadata=...)`."""
        return {
            "partition": self.day.isoformat(),
            "files_listed": self.files_listed,
            "files_indexed": self.files_indexed,
            "files_forgotten": self.files_forgotten,
            "files_read": self.files_read,
            "files_from_cache": self.files_from_cache,
            "bytes_read": self.bytes_read,
            "spans": self.spans,
            "duplicate_spans": self.duplicate_spans,
            "conversations": self.conversations,
            "journey_events": self.journey_events,
            "quarantined": self.quarantined,
            "quarantined_by_reason": dict(sorted(self.quarantined_by_reason.items())),
            "redacted_by_type": dict(sorted(self.redacted_by_type.items())),
            "related_days": [d.isoformat() for d in self.related_days],
            "seconds": round(self.seconds, 3),
            "redaction_seconds": round(self.redaction_seconds, 3),
        }

    def summary(self) -> str:
        """One line for the command's output."""
        quarantine = f"{self.quarantined:,} quarantined"
        if self.quarantined_by_reason:
            reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.quarantined_by_reason.items()))
            quarantine += f" ({reasons})"
        cached = f", {self.files_from_cache:,} decoded earlier" if self.files_from_cache else ""
        related = (
            f"; also affects {', '.join(d.isoformat() for d in self.related_days)}"
            if self.related_days
            else ""
        )
        return (
            f"{self.day.isoformat()}: {self.files_read:,} files ({self.files_indexed:,} newly indexed{cached}), "
            f"{self.spans:,} spans ({self.duplicate_spans:,} duplicates skipped), "
            f"{self.conversations:,} conversations, {self.journey_events:,} CSAT answers, "
            f"{quarantine} in {self.seconds:.1f}s{related}"
        )
