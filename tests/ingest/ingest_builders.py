"""Hand-built OTLP/JSON for ingestion tests: spans at chosen times with chosen attributes.

Attribute values are encoded with the simulator's `key_values` (typed AnyValues); anything
unusual (wrong types, enum names, broken lines) is written out by the tests themselves.
"""

from __future__ import annotations

import base64
import copy
import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
from google.protobuf.json_format import Parse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from orchestration.simulate.otlp import AttrValue, key_values

DAY = date(2026, 10, 5)
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def tid(n: int) -> str:
    return f"{n:032x}"


def sid(n: int) -> str:
    return f"{n:016x}"


def nanos(seconds: float, base: datetime = T0) -> str:
    return str(int((base + timedelta(seconds=seconds)).timestamp() * 1e9))


def span(
    trace: int,
    span_n: int,
    start: float,
    end: float,
    attrs: dict[str, AttrValue] | None = None,
    *,
    parent: int | None = None,
    name: str = "span",
    kind: int | str = 1,
    base: datetime = T0,
) -> dict[str, Any]:
    """A span of trace `tid(trace)` from `start` to `end` seconds after `base`."""
    encoded: dict[str, Any] = {"traceId": tid(trace), "spanId": sid(span_n)}
    if parent is not None:
        encoded["parentSpanId"] = sid(parent)
    encoded.update(
        name=name,
        kind=kind,
        startTimeUnixNano=nanos(start, base),
        endTimeUnixNano=nanos(end, base),
        attributes=key_values(attrs or {}),
        status={},
    )
    return encoded


def request(*spans: dict[str, Any], resource: dict[str, AttrValue] | None = None) -> dict[str, Any]:
    resource_attrs = key_values({"service.name": "test-agent", **(resource or {})})
    return {
        "resourceSpans": [
            {"resource": {"attributes": resource_attrs}, "scopeSpans": [{"scope": {"name": "tests"}, "spans": list(spans)}]}
        ]
    }


def protobuf_body(document: dict[str, Any]) -> bytes:
    """An OTLP/JSON request (hex ids) as a protobuf `ExportTraceServiceRequest` body."""
    document = copy.deepcopy(document)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for s in scope_spans["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in s:  # protobuf's own JSON mapping has base64 ids
                        s[field] = base64.b64encode(bytes.fromhex(s[field])).decode()
    return Parse(orjson.dumps(document), ExportTraceServiceRequest()).SerializeToString()


def write_lines(path: Path, lines: list[dict[str, Any] | bytes | str]) -> Path:
    """One request per line (dicts are encoded, bytes/str written as they are); gzip for `.gz`."""
    payload = b"".join(
        (orjson.dumps(line) if isinstance(line, dict) else line if isinstance(line, bytes) else line.encode()) + b"\n"
        for line in lines
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.name.endswith(".gz") else payload)
    return path


JOURNEY = {
    "customer.id": "cust-1",
    "journey.id": "jrn-1",
    "journey.name": "streaming_onboarding",
    "journey.stage": "payment",
    "channel": "chat",
    "agent.type": "ai",
    "customer.segment": "standard",
    "customer.consent": "granted",
}


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def turns(con: duckdb.DuckDBPyConnection, conversation_id: str) -> list[tuple[str, str]]:
    (value,) = con.execute("select turns from raw.conversations where conversation_id = ?", [conversation_id]).fetchall()[0]
    return [(t["role"], t["text"]) for t in value]


def raw_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Every row ingestion wrote to the partitioned raw tables (load times left out), for comparing
    two warehouses."""
    return {
        table: rows(con, f"select * exclude ({stamp}) from raw.{table} order by all")
        for table, stamp in [
            ("spans", "ingested_at"),
            ("conversations", "ingested_at"),
            ("journey_events", "ingested_at"),
            ("ingest_quarantine", "quarantined_at"),
        ]
    }
