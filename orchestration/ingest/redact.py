"""Personal data taken out of decoded spans before ingestion writes anything (evals/redaction.py).

The one point where ingestion redacts: each landing file's decoded tables as a run reads them,
before they are flattened. Everything built from them is then clean: raw.spans' attributes,
events and links, the transcripts in raw.conversations, quarantine raw_text, and so what the
evaluators, the judge, the marts, the snapshot and the pages see. Landing files and the decode
cache (a copy of the input beside the warehouse) stay as they are.

DuckDB's vectorised RE2 lists every candidate (evals.redaction.CANDIDATE_RE2) in a column at
once; the redactor judges each distinct candidate once (a trace repeats the conversation so far
in every LLM span, so candidates repeat many times); Python then touches only the rows holding a
value to replace. JSON is redacted as text; when that breaks it (a bare number replaced, a value
right after an escape), the row is redacted value by value instead, so the JSON stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from evals.redaction import CANDIDATE_RE2, Redactor
from orchestration.ingest.decode import SpanTables
from orchestration.ingest.quarantine import QuarantineRecord

# Columns that can carry customer text, per table of SpanTables; JSON ones are parsed.
_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "spans": ("statusMessage",),
    "messages": ("text",),
}
_JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "spans": ("attributes", "conventions", "events", "links"),
    "resources": ("attributes", "conventions"),
    "scopes": ("attributes",),
}
# Where a table's rows are attributed, for the per-conversation counts.
_ROW_KEYS = {"spans": "span_key", "messages": "span_key", "resources": "resource_key"}

FINDINGS_SCHEMA = pa.schema(
    [("span_key", pa.int64()), ("pii_type", pa.string()), ("value_hash", pa.int64())]
)
# With JOURNEYS_KEEP_RAW_PII (opt-in), the spans' attributes and events as decoded, for the spans
# redaction changed: raw.spans keeps them beside the redacted ones until purged (docs/privacy.md).
ORIGINALS_SCHEMA = pa.schema(
    [("span_key", pa.int64()), ("attributes_raw", pa.string()), ("events_raw", pa.string())]
)


@dataclass(frozen=True)
class Redacted:
    """Redacted tables, and what was found: one row per (span, type, value) in `findings`
    (value_hash tells values apart within the run; the values themselves are never kept)."""

    tables: SpanTables
    findings: pa.Table  # FINDINGS_SCHEMA


def redact_tables(con: duckdb.DuckDBPyConnection, tables: SpanTables, redactor: Redactor) -> Redacted:
    found: dict[str, list[tuple[int, str, int]]] = {}
    redacted: dict[str, pa.Table] = {}
    for name in ("spans", "resources", "scopes", "messages"):
        table: pa.Table = getattr(tables, name)
        hits = found.setdefault(name, [])
        for column in _TEXT_COLUMNS.get(name, ()):
            table = _redact_column(con, table, column, redactor, hits, is_json=False)
        for column in _JSON_COLUMNS.get(name, ()):
            table = _redact_column(con, table, column, redactor, hits, is_json=True)
        redacted[name] = table
    return Redacted(replace(tables, **redacted), _findings(tables, found))


def originals(decoded: SpanTables, redacted: SpanTables) -> pa.Table:
    """ORIGINALS_SCHEMA rows: the decoded attributes and events of the spans whose attributes or
    events redaction changed (the other spans have nothing to keep)."""
    columns = {c: _storage(decoded.spans.column(c)).cast(pa.string()) for c in ("attributes", "events")}
    changed = pa.array(np.zeros(decoded.spans.num_rows, dtype=bool))
    for name, before in columns.items():
        after = _storage(redacted.spans.column(name)).cast(pa.string())
        changed = pc.or_(changed, pc.fill_null(pc.not_equal(before, after), False))
    return pa.table(
        {
            "span_key": decoded.spans.column("span_key").filter(changed),
            "attributes_raw": columns["attributes"].filter(changed),
            "events_raw": columns["events"].filter(changed),
        }
    ).cast(ORIGINALS_SCHEMA)


def _storage(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column without its extension type (decode.py's JSON columns), as DuckDB and pyarrow
    compute take it."""
    return pa.chunked_array(
        [c.storage if isinstance(c, pa.ExtensionArray) else c for c in values.chunks],
        type=values.type.storage_type if isinstance(values.type, pa.BaseExtensionType) else values.type,
    )


def redact_records(records: list[QuarantineRecord], redactor: Redactor) -> list[QuarantineRecord]:
    """Quarantined lines with their raw_text redacted (their counts are not attributed to a
    conversation: a line that cannot be decoded has none)."""
    return [replace(r, raw_text=redactor.redact(r.raw_text).text) if r.raw_text else r for r in records]


def _redact_column(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    column: str,
    redactor: Redactor,
    hits: list[tuple[int, str, int]],
    *,
    is_json: bool,
) -> pa.Table:
    """DuckDB (RE2, vectorised) lists every candidate in the column; the redactor judges each
    distinct candidate once; the rows holding one that it changes get it replaced in Python."""
    values = table.column(column)
    storage = _storage(values)
    con.register("_redact_input", pa.table({"row": pa.array(np.arange(len(storage))), "value": storage}))
    try:
        candidates = con.execute(
            # one pass of the regex; a row without a candidate unnests to no row
            "select row, unnest(list_distinct(regexp_extract_all(value, $pattern))) as candidate from _redact_input",
            {"pattern": CANDIDATE_RE2},
        ).fetchall()
    finally:
        con.unregister("_redact_input")
    verdicts = {c: redactor.redact(c) for c in {c for _, c in candidates}}
    by_row: dict[int, set[str]] = {}
    for row, candidate in candidates:
        if verdicts[candidate].found:
            by_row.setdefault(row, set()).add(candidate)
    if not by_row:
        return table
    rows = sorted(by_row)
    replacements = []
    for row, text in zip(rows, storage.take(rows).to_pylist(), strict=True):
        new = text
        for candidate in sorted(by_row[row], key=len, reverse=True):  # a longer one may hold a shorter
            new = new.replace(candidate, verdicts[candidate].text)
        found = [f for candidate in by_row[row] for f in verdicts[candidate].found]
        if is_json and not _valid_json(new):
            new, found = _json_values(text, redactor)
        replacements.append(new)
        hits.extend((row, str(pii_type), hash(value)) for pii_type, value in found)
    mask = np.zeros(len(storage), dtype=bool)
    mask[rows] = True
    array = pc.replace_with_mask(storage.combine_chunks(), pa.array(mask), pa.array(replacements, type=storage.type))
    if isinstance(values.type, pa.BaseExtensionType):
        array = pa.ExtensionArray.from_storage(values.type, array)
    return table.set_column(table.schema.get_field_index(column), column, array)


def _valid_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _json_values(text: str, redactor: Redactor) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []

    def walk(value: Any) -> Any:
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            # A number (a phone or card number sent as an intValue) becomes its placeholder string.
            result = redactor.redact(str(value))
            found.extend((t.value, v) for t, v in result.found)
            return result.text if result.found else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return orjson.dumps(walk(orjson.loads(text))).decode(), found


def _findings(tables: SpanTables, found: dict[str, list[tuple[int, str, int]]]) -> pa.Table:
    """Findings per span: rows of spans and messages by their span key, a resource's on every span
    of that resource (scopes are shared by unrelated conversations and not attributed)."""
    parts = []
    for name, hits in found.items():
        if name not in _ROW_KEYS or not hits:
            continue
        rows, types, hashes = zip(*hits, strict=True)
        keys = getattr(tables, name).column(_ROW_KEYS[name]).take(pa.array(rows, pa.int64()))
        part = pa.table({_ROW_KEYS[name]: keys, "pii_type": pa.array(types), "value_hash": pa.array(hashes, pa.int64())})
        if name == "resources":
            spans = tables.spans.select(["span_key", "resource_key"])
            part = spans.join(part, "resource_key", join_type="inner").drop(["resource_key"])
        parts.append(part.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA))
    return pa.concat_tables([FINDINGS_SCHEMA.empty_table(), *parts])
