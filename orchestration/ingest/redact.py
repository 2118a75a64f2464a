"""Personal data taken out of decoded spans before ingestion writes anything (evals/redaction.py).

The one point where ingestion redacts: each landing file's decoded tables as a run reads them,
before they are flattened. Everything built from them is then clean: raw.spans' attributes,
events and links, the transcripts in raw.conversations, quarantine raw_text, and so what the
evaluators, the judge, the marts, the snapshot and the pages see. Landing files and the decode
cache (a copy of the input beside the warehouse) stay as they are.

A vectorised RE2 scan (pyarrow) picks the values that can hold personal data ('@' or a run of
five digits), so Python only looks at those. JSON values are parsed and their strings redacted
one by one, so the JSON stays valid whatever was replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from evals.redaction import Redactor
from orchestration.ingest.decode import SpanTables
from orchestration.ingest.quarantine import QuarantineRecord

# What the RE2 scan looks for: evals.redaction's prefilter ('@' or five digits with separators).
_CANDIDATE_RE2 = r"@|\d(?:[ ().\-/]{0,3}\d){4}"
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


@dataclass(frozen=True)
class Redacted:
    """Redacted tables, and what was found: one row per (span, type, value) in `findings`
    (value_hash tells values apart within the run; the values themselves are never kept)."""

    tables: SpanTables
    findings: pa.Table  # FINDINGS_SCHEMA


def redact_tables(tables: SpanTables, redactor: Redactor) -> Redacted:
    found: dict[str, list[tuple[int, str, int]]] = {}
    redacted: dict[str, pa.Table] = {}
    for name in ("spans", "resources", "scopes", "messages"):
        table: pa.Table = getattr(tables, name)
        hits = found.setdefault(name, [])
        for column in _TEXT_COLUMNS.get(name, ()):
            table = _redact_column(table, column, lambda v: _text(v, redactor), hits)
        for column in _JSON_COLUMNS.get(name, ()):
            table = _redact_column(table, column, lambda v: _json(v, redactor), hits)
        redacted[name] = table
    return Redacted(replace(tables, **redacted), _findings(tables, found))


def redact_records(records: list[QuarantineRecord], redactor: Redactor) -> list[QuarantineRecord]:
    """Quarantined lines with their raw_text redacted (their counts are not attributed to a
    conversation: a line that cannot be decoded has none)."""
    return [replace(r, raw_text=redactor.redact(r.raw_text).text) if r.raw_text else r for r in records]


def _redact_column(
    table: pa.Table,
    column: str,
    redact: Callable[[Any], tuple[Any, list[tuple[str, str]]]],
    hits: list[tuple[int, str, int]],
) -> pa.Table:
    values = table.column(column)
    storage = pa.chunked_array(
        [c.storage if isinstance(c, pa.ExtensionArray) else c for c in values.chunks],
        type=values.type.storage_type if isinstance(values.type, pa.BaseExtensionType) else values.type,
    )
    candidates = pc.fill_null(pc.match_substring_regex(storage, _CANDIDATE_RE2), False)
    rows = pc.indices_nonzero(candidates).to_pylist()
    if not rows:
        return table
    texts = storage.take(rows).to_pylist()
    changed = False
    for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
        new, found = redact(text)
        if found:
            texts[i], changed = new, True
            hits.extend((row, pii_type, hash(value)) for pii_type, value in found)
    if not changed:
        return table
    full = storage.to_pylist()
    for row, text in zip(rows, texts, strict=True):
        full[row] = text
    array = pa.array(full, type=storage.type)
    if isinstance(values.type, pa.BaseExtensionType):
        array = pa.ExtensionArray.from_storage(values.type, array)
    return table.set_column(table.schema.get_field_index(column), column, array)


def _text(text: str, redactor: Redactor) -> tuple[str, list[tuple[str, str]]]:
    result = redactor.redact(text)
    return result.text, [(t.value, v) for t, v in result.found]


def _json(text: str, redactor: Redactor) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []

    def walk(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # A JSON document in a string attribute (GenAI's gen_ai.input.messages): its strings
            # are redacted one by one, so that it stays valid JSON.
            try:
                inner = orjson.loads(value)
            except orjson.JSONDecodeError:
                inner = None
            if isinstance(inner, (list, dict)):
                before = len(found)
                redacted = walk(inner)
                return orjson.dumps(redacted).decode() if len(found) > before else value
        if isinstance(value, str):
            result = redactor.redact(value)
            found.extend((t.value, v) for t, v in result.found)
            return result.text
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
            result = redactor.redact(str(value))
            found.extend((t.value, v) for t, v in result.found)
            return result.text if result.found else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    redacted = walk(orjson.loads(text))
    return (orjson.dumps(redacted).decode() if found else text), found


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
            part = tables.spans.select(["span_key", "resource_key"]).join(part, "resource_key").drop(["resource_key"])
        parts.append(part.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA))
    return pa.concat_tables([FINDINGS_SCHEMA.empty_table(), *parts])
