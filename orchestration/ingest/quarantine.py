"""Bad input set aside: the reasons a line or span is quarantined, and how a record is kept.

Nothing that arrives is dropped silently: a file, line or span that cannot be ingested becomes one
row of `raw.ingest_quarantine` with its source file, line, a reason and the raw text (cut to a
bound so that one huge bad line cannot bloat the warehouse). The landing file itself stays as it
was, so the full text is always recoverable from `source_file` + `line_number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

RAW_TEXT_LIMIT = 2_000


class Reason(StrEnum):
    """The first word of `raw.ingest_quarantine.reason`; the rest of the reason is the detail."""

    UNREADABLE_FILE = "unreadable_file"  # cannot be opened or decompressed
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_OTLP = "not_otlp"  # valid JSON, but not shaped like an ExportTraceServiceRequest
    WRONG_VALUE_TYPE = "wrong_value_type"  # a field or attribute holds a value of the wrong type
    NESTING_TOO_DEEP = "nesting_too_deep"  # an attribute value nests beyond MAX_NESTING_DEPTH levels
    MISSING_ID = "missing_id"  # trace or span id missing or not hex of the right length
    INVALID_TIMESTAMP = "invalid_timestamp"  # missing, unparsable, end before start, outside 2000-2100
    INVALID_VALUE = "invalid_value"  # right type, value outside the contract (e.g. csat.score 7)
    # The decoder failed on a span or line in a way none of the above names: a bug to report, but
    # the span is set aside with the error rather than stopping the ingestion of everything else.
    UNCONVERTIBLE = "unconvertible"


def reason_text(reason: Reason, detail: str) -> str:
    return f"{reason.value}: {detail}"


def bounded(text: str | bytes | None) -> str | None:
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text[: RAW_TEXT_LIMIT * 4].decode("utf-8", errors="replace")
    return text[:RAW_TEXT_LIMIT]


@dataclass(frozen=True)
class QuarantineRecord:
    """A file or line the decoder could not turn into spans (span-level problems are found in SQL)."""

    source_file: str
    line_number: int | None
    reason: str
    raw_text: str | None
    trace_id: str | None = None
    span_id: str | None = None
