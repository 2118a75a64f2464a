"""Nested requests -> flat Arrow tables of spans, resources and attributes, without copying.

`resourceSpans[].scopeSpans[].spans[].attributes[]` is unnested with Arrow's list flattening, which
only re-slices buffers, and the parent of every element is found with `list_parent_indices`. (An
unnest in SQL would copy the nested values once per level.) Every span and resource gets a key
unique within the ingestion run, which is how the SQL passes over the same spans meet again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.ingest.decode import REQUEST_SCHEMA, empty_requests


def _child(struct: pa.StructArray, name: str) -> pa.Array:
    # flatten() (unlike field()) carries the parent's nulls into the child.
    return struct.flatten()[struct.type.get_field_index(name)]


def _struct_type(*path: str) -> pa.StructType:
    kind: pa.DataType = REQUEST_SCHEMA.field(path[0]).type.value_type
    for name in path[1:]:
        kind = kind.field(name).type
        kind = kind.value_type if pa.types.is_list(kind) else kind
    return kind


SPAN_TYPE = _struct_type("resourceSpans", "scopeSpans", "spans")
SPAN_FIELDS = tuple(f.name for f in SPAN_TYPE)
ATTRIBUTE_TYPE = SPAN_TYPE.field("attributes").type.value_type


@dataclass(frozen=True)
class SpanTables:
    """The spans of some landing files, flat: what SQL sees as `_span_rows` etc. (flatten.py)."""

    spans: pa.Table  # span_key, resource_key, source_file, source_line, scope_name, then the OTLP Span fields
    span_attributes: pa.Table  # span_key, key, value
    resources: pa.Table  # resource_key, attributes
    resource_attributes: pa.Table  # resource_key, key, value

    @staticmethod
    def concat(parts: list[SpanTables]) -> SpanTables:
        parts = [explode(empty_requests(), 0, 0), *parts]
        return SpanTables(
            *(pa.concat_tables([getattr(p, f.name) for p in parts]) for f in fields(SpanTables))
        )


def explode(requests: pa.Table, first_span_key: int, first_resource_key: int) -> SpanTables:
    """Flatten `requests` (as decode.py makes them); keys count up from the given first ones."""
    parts: list[SpanTables] = []
    for batch in requests.to_batches() or [pa.RecordBatch.from_pylist([], schema=requests.schema)]:
        part = _explode_batch(batch, first_span_key, first_resource_key)
        first_span_key += part.spans.num_rows
        first_resource_key += part.resources.num_rows
        parts.append(part)
    return SpanTables(*(pa.concat_tables([getattr(p, f.name) for p in parts]) for f in fields(SpanTables)))


def _explode_batch(batch: pa.RecordBatch, first_span_key: int, first_resource_key: int) -> SpanTables:
    resource_spans = batch.column("resourceSpans")
    resource_row = pc.list_parent_indices(resource_spans)
    resource_values = resource_spans.flatten()
    scope_spans = _child(resource_values, "scopeSpans")
    scope_parent = pc.list_parent_indices(scope_spans)
    scope_values = scope_spans.flatten()
    spans_list = _child(scope_values, "spans")
    span_scope = pc.list_parent_indices(spans_list)
    spans = spans_list.flatten()

    span_resource = pc.take(scope_parent, span_scope)
    span_row = pc.take(resource_row, span_resource)
    span_keys = pa.array(np.arange(first_span_key, first_span_key + len(spans), dtype=np.int64))
    resource_keys = pa.array(
        np.arange(first_resource_key, first_resource_key + len(resource_values), dtype=np.int64)
    )
    span_columns = {
        "span_key": span_keys,
        "resource_key": pc.take(resource_keys, span_resource),
        "source_file": pc.take(batch.column("source_file"), span_row),
        "source_line": pc.take(batch.column("source_line"), span_row),
        "scope_name": pc.take(_child(_child(scope_values, "scope"), "name"), span_scope),
        **dict(
            zip(SPAN_FIELDS, spans.flatten() if len(spans) else [pa.array([], f.type) for f in SPAN_TYPE])
        ),
    }
    resource_attributes = _child(_child(resource_values, "resource"), "attributes")
    return SpanTables(
        spans=pa.table(span_columns),
        span_attributes=_attributes("span_key", span_keys, span_columns["attributes"]),
        resources=pa.table({"resource_key": resource_keys, "attributes": resource_attributes}),
        resource_attributes=_attributes("resource_key", resource_keys, resource_attributes),
    )


def _attributes(owner: str, keys: pa.Array, attributes: pa.Array) -> pa.Table:
    values = attributes.flatten()
    if not len(values):
        values = pa.array([], ATTRIBUTE_TYPE)
    return pa.table(
        {
            owner: pc.take(keys, pc.list_parent_indices(attributes)),
            "key": _child(values, "key"),
            "value": _child(values, "value"),
        }
    )
