"""raw.spans keeps every part of a span: its scope's version and attributes, its links, traceState
and flags, from a landing file and from a protobuf request alike; a warehouse and decode-cache
entries made before these columns existed keep working."""

from __future__ import annotations

import base64
import copy
import json
import os
from datetime import timedelta

import duckdb
import orjson
import pyarrow as pa
import pytest
import requests
from google.protobuf.json_format import Parse
from ingest_builders import DAY, JOURNEY, T0, raw_rows, rows, sid, span, tid, write_lines
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orchestration.ingest import ingest_partition
from orchestration.ingest.decode import SpanTables, decode_file
from orchestration.raw_tables import RAW_TABLES
from orchestration.simulate.otlp import key_values
from orchestration.warehouse import create_table_sql, ensure_raw_tables

NEW_COLUMNS = {
    "scope_version": "VARCHAR",
    "scope_attributes": "JSON",
    "links": "JSON",
    "trace_state": "VARCHAR",
    "flags": "BIGINT",
}
NEXT_DAY = DAY + timedelta(days=1)


def linked_request(trace: int = 1, session: str = "ctx", days: int = 0) -> dict:
    """Two scopes: one with a version and attributes, holding a span with two links (one with
    attributes and its trace id in upper case), a traceState and flags, beside a span with none of
    them; and a bare scope with a plain span. `days` later than DAY."""
    base = T0 + timedelta(days=days)
    rich = span(trace, 1, 0, 60, {**JOURNEY, "session.id": session}, base=base) | {
        "traceState": "vendor=abc,other=1",
        "flags": 257,
        "links": [
            {
                "traceId": tid(0xABCDEF).upper(),
                "spanId": sid(6),
                "traceState": "k=v",
                "attributes": key_values({"link.kind": "follows", "weight": 2}),
                "flags": 1,
            },
            {"traceId": tid(7), "spanId": sid(8)},
        ],
    }
    plain = span(trace, 2, 1, 2, {"session.id": session}, parent=1, base=base)
    bare = span(trace, 3, 2, 3, {"session.id": session}, parent=1, base=base)
    scope = {
        "name": "my-lib",
        "version": "1.2.3",
        "attributes": key_values({"library.language": "python", "n": 7}),
    }
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": key_values({"service.name": "test-agent"})},
                "scopeSpans": [
                    {"scope": scope, "spans": [rich, plain]},
                    {"scope": {"name": "bare"}, "spans": [bare]},
                ],
            }
        ]
    }


NONE = dict.fromkeys(NEW_COLUMNS)
MY_LIB = {
    "scope_name": "my-lib",
    "scope_version": "1.2.3",
    "scope_attributes": {"library.language": "python", "n": 7},
}
LINKS = [
    {
        "trace_id": tid(0xABCDEF),
        "span_id": sid(6),
        "trace_state": "k=v",
        "attributes": {"link.kind": "follows", "weight": 2},
        "flags": 1,
    },
    {"trace_id": tid(7), "span_id": sid(8), "trace_state": None, "attributes": None, "flags": None},
]


def expected(trace: int = 1) -> list[dict]:
    """The raw.spans columns of `linked_request(trace)`'s spans."""
    return [
        {
            "trace_id": tid(trace),
            "span_id": sid(1),
            **MY_LIB,
            "links": LINKS,
            "trace_state": "vendor=abc,other=1",
            "flags": 257,
        },
        {"trace_id": tid(trace), "span_id": sid(2), **NONE, **MY_LIB},
        {"trace_id": tid(trace), "span_id": sid(3), **NONE, "scope_name": "bare"},
    ]


def stored(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The new columns (and the scope's name) of every span in raw.spans, JSON decoded."""
    found = rows(
        con, f"select trace_id, span_id, scope_name, {', '.join(NEW_COLUMNS)} from raw.spans order by all"
    )
    for row in found:
        for column in ("scope_attributes", "links"):
            row[column] = None if row[column] is None else json.loads(row[column])
    return found


def as_protobuf(document: dict) -> bytes:
    """The request as protobuf: OTLP/JSON's hex ids (of spans and links) as the JSON mapping's base64."""
    document = copy.deepcopy(document)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for s in scope_spans["spans"]:
                for item in (s, *s.get("links", ())):
                    for field in ("traceId", "spanId", "parentSpanId"):
                        if field in item:
                            item[field] = base64.b64encode(bytes.fromhex(item[field])).decode()
    return Parse(orjson.dumps(document), ExportTraceServiceRequest()).SerializeToString()


def test_a_landing_file_keeps_scope_links_trace_state_and_flags(landing, warehouse, ingest):
    write_lines(landing / "linked.jsonl", [linked_request()])
    report = ingest(DAY)
    assert (report.spans, report.quarantined) == (3, 0)
    assert stored(warehouse) == expected()


def test_a_protobuf_request_through_the_receiver_keeps_them_too(receiver, warehouse):
    answer = requests.post(
        receiver.traces_url,
        data=as_protobuf(linked_request()),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=10,
    )
    assert answer.status_code == 200
    report = ingest_partition(warehouse, receiver.landing, DAY)
    assert (report.spans, report.quarantined) == (3, 0)
    assert stored(warehouse) == expected()


def test_zero_flags_and_an_empty_trace_state_are_null_as_when_absent(landing, warehouse, ingest):
    # Protobuf cannot tell 0, "" or [] from unset (the receiver's conversion drops them), so
    # raw.spans does not either.
    zero = span(1, 1, 0, 5, {**JOURNEY, "session.id": "zero"}) | {"flags": 0, "traceState": "", "links": []}
    request = {"resourceSpans": [{"scopeSpans": [{"scope": {"version": ""}, "spans": [zero]}]}]}
    write_lines(landing / "zero.jsonl", [request])
    assert ingest(DAY).spans == 1
    assert rows(warehouse, f"select {', '.join(NEW_COLUMNS)} from raw.spans") == [NONE]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"flags": "257"}, "flags must be an integer, not string"),
        ({"flags": -1}, "flags -1 is out of range"),
        ({"flags": 2**32}, "flags 4294967296 is out of range"),
        ({"traceState": 5}, "traceState must be a string, not number"),
        ({"links": {}}, "links must be an array, not object"),
        ({"links": [{"traceId": 5}]}, "links[0].traceId must be a string, not number"),
        ({"links": [{"spanId": sid(1), "color": "red"}]}, "links[0] has an unknown field 'color'"),
        (
            {"links": [{"traceId": tid(2)}, {"attributes": [{"key": "x", "value": {"stringValue": 1}}]}]},
            "links[1].attributes[0] (x): stringValue must be a string, not number",
        ),
        ({"links": [{"flags": "1"}]}, "links[0].flags must be an integer, not string"),
    ],
)
def test_a_span_with_a_malformed_link_trace_state_or_flags_is_quarantined_alone(landing, change, reason):
    bad = span(1, 2, 1, 2, {"session.id": "x"}, parent=1) | change
    good = span(1, 1, 0, 5, {**JOURNEY, "session.id": "x"})
    path = write_lines(landing / "bad.jsonl", [{"resourceSpans": [{"scopeSpans": [{"spans": [good, bad]}]}]}])
    decoded = decode_file(path)
    assert decoded.tables.spans.num_rows == 1
    assert [r.reason for r in decoded.quarantine] == [f"wrong_value_type: {reason}"]


def test_a_malformed_scope_attribute_sets_aside_that_scopes_spans(landing):
    scope = {"name": "lib", "attributes": [{"key": "x", "value": {"intValue": []}}]}
    request = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {"scope": scope, "spans": [span(1, 1, 0, 5)]},
                    {"scope": {"name": "ok"}, "spans": [span(2, 1, 0, 5)]},
                ]
            }
        ]
    }
    decoded = decode_file(write_lines(landing / "scope.jsonl", [request]))
    assert decoded.tables.spans.num_rows == 1
    assert [r.reason for r in decoded.quarantine] == [
        "wrong_value_type: scope.attributes[0] (x): intValue must be a decimal string, not array"
    ]


# raw.spans as it was created before the scope's version and attributes, links, traceState and flags.
OLD_SPANS = """
    trace_id VARCHAR NOT NULL, span_id VARCHAR NOT NULL, parent_span_id VARCHAR, conversation_id VARCHAR,
    name VARCHAR, kind VARCHAR, otel_kind VARCHAR, start_time TIMESTAMP, end_time TIMESTAMP,
    status_code VARCHAR, status_message VARCHAR, scope_name VARCHAR, attributes JSON,
    resource_attributes JSON, events JSON, source_file VARCHAR, source_line INTEGER,
    partition_date DATE NOT NULL, ingested_at TIMESTAMP NOT NULL
"""


def added_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The columns from scope_version on, as many as this test adds (later ones follow them)."""
    columns = columns_of(con)
    first = [name for name, _ in columns].index("scope_version")
    return columns[first : first + len(NEW_COLUMNS)]


def columns_of(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'raw' and table_name = 'spans' order by column_index"
    ).fetchall()


def test_an_older_warehouse_gains_the_columns_and_keeps_its_rows(landing, warehouse, ingest, tmp_path):
    warehouse.execute("create schema raw")
    for table in RAW_TABLES.values():
        warehouse.execute(f"create table raw.spans ({OLD_SPANS})" if table.name == "spans" else create_table_sql(table))
    warehouse.execute(
        "insert into raw.spans (trace_id, span_id, scope_name, partition_date, ingested_at) values (?, ?, 'old', ?, ?)",
        [tid(99), sid(99), DAY - timedelta(days=1), T0],
    )
    write_lines(landing / "linked.jsonl", [linked_request()])
    assert ingest(DAY).spans == 3
    assert stored(warehouse) == [
        *expected(),
        {"trace_id": tid(99), "span_id": sid(99), "scope_name": "old", **NONE},
    ]
    assert added_columns(warehouse) == list(NEW_COLUMNS.items())
    with duckdb.connect(str(tmp_path / "new.duckdb")) as new:
        ensure_raw_tables(new)
        assert columns_of(warehouse) == columns_of(new)  # the same columns in the same order
    ensure_raw_tables(warehouse)  # again: nothing left to add
    assert added_columns(warehouse) == list(NEW_COLUMNS.items())


def file_for_two_days(landing):
    """One file with a conversation on DAY and one on the next day: its decoding is kept for the next."""
    write_lines(landing / "both.jsonl", [linked_request(), linked_request(2, "ctx-2", days=1)])


@pytest.mark.parametrize("entry", ["before these columns", "of another format"])
def test_a_decode_cache_entry_of_an_older_decoding_is_decoded_again(
    landing, warehouse, tmp_path, decoded, entry
):
    file_for_two_days(landing)
    ingest_partition(warehouse, landing, DAY)
    (meta_path,) = (tmp_path / "warehouse.duckdb.decoded").glob("*.json")
    prefix = meta_path.with_suffix("")
    tables = SpanTables.read_ipc(prefix)
    meta = orjson.loads(meta_path.read_bytes())
    if entry == "before these columns":
        # As the code before them wrote it: the scope's name on each span, no scopes table, no
        # links, traceState or flags, no format in the metadata.
        names = dict(
            zip(tables.scopes.column("scope_key").to_pylist(), tables.scopes.column("name").to_pylist())
        )
        scope_names = pa.array([names[k] for k in tables.spans.column("scope_key").to_pylist()], pa.string())
        spans = tables.spans.drop_columns(["scope_key", "links", "traceState", "flags"])
        spans = spans.add_column(4, "scope_name", scope_names)
        prefix.with_suffix(".scopes.arrow").unlink()
        del meta["format"]
    else:
        # Every table there, in today's schemas, but written by a decoding that left these columns
        # empty: only the format tells it from a current entry.
        spans = tables.spans
        for name in ("links", "traceState", "flags"):
            column = spans.schema.get_field_index(name)
            spans = spans.set_column(column, name, pa.nulls(spans.num_rows, spans.schema.field(name).type))
        meta["format"] = "1:" + meta["format"].split(":")[1]
    # A new file renamed over the old one: the tables read are a memory map of it.
    with pa.OSFile(f"{prefix}.new", "wb") as sink, pa.ipc.new_file(sink, spans.schema) as writer:
        writer.write_table(spans)
    os.replace(f"{prefix}.new", f"{prefix}.spans.arrow")
    meta_path.write_bytes(orjson.dumps(meta))

    decoded.clear()
    report = ingest_partition(warehouse, landing, NEXT_DAY)
    assert (report.files_from_cache, decoded, report.spans) == (0, ["both.jsonl"], 3)
    assert stored(warehouse) == expected(1) + expected(2)


def test_a_current_decode_cache_entry_gives_what_decoding_gives(landing, warehouse, decoded):
    file_for_two_days(landing)
    for day in (DAY, NEXT_DAY):
        ingest_partition(warehouse, landing, day)
    assert decoded == ["both.jsonl"]  # the next day read it from the cache
    assert stored(warehouse) == expected(1) + expected(2)
    with duckdb.connect() as in_memory:  # keeps no cache
        for day in (DAY, NEXT_DAY):
            ingest_partition(in_memory, landing, day)
        assert raw_rows(warehouse) == raw_rows(in_memory)
