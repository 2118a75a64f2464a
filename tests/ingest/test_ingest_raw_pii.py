"""JOURNEYS_KEEP_RAW_PII: with the opt-in, raw.spans keeps the originals redaction replaced (and
only raw.spans), until the daily purge asset removes those past JOURNEYS_RAW_PII_RETENTION_DAYS;
without it, nothing unredacted is stored."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from asset_resources import asset_resources
from ingest_builders import DAY, JOURNEY, request, rows, span, write_lines

from orchestration.defs.assets.ingest import ingest_traces
from orchestration.defs.assets.raw_pii import RAW_PII_PURGE_KEY, raw_pii_purge
from orchestration.warehouse import RAW_TABLES

EMAIL = "jamie.doe@example.co.uk"
CARD = "4111 1111 1111 1111"
SAID = f"I'm {EMAIL}, card {CARD}."


def _materialize(data: Path, instance: dg.DagsterInstance, assets: list) -> dg.ExecuteInJobResult:
    result = dg.materialize(assets, partition_key=DAY.isoformat(), instance=instance, resources=asset_resources(data))
    assert result.success
    return result


def _purge(data: Path, instance: dg.DagsterInstance) -> int:
    """Materialize the purge; the number of values its metadata says it removed."""
    _materialize(data, instance, [raw_pii_purge])
    event = instance.get_latest_materialization_event(RAW_PII_PURGE_KEY)
    return event.asset_materialization.metadata["values_removed"].value


def _stored(con: duckdb.DuckDBPyConnection, tables: list[str]) -> str:
    text = "\n".join(json.dumps(rows(con, f"select * from raw.{t}"), default=str) for t in tables)
    return text + "\n" + json.loads(json.dumps(text))  # JSON escapes undone


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_lines(
        tmp_path / "landing" / "traces.jsonl",
        [
            request(span(1, 1, 0, 5, {**JOURNEY, "session.id": "c1", "agent.type": "human", "input.value": SAID,
                                      "output.value": "Thanks."})),
            request(span(2, 1, 10, 15, {**JOURNEY, "session.id": "c2", "agent.type": "human",
                                        "input.value": "No personal data here.", "output.value": "Fine."})),
        ],
    )
    return tmp_path


def test_originals_stay_in_raw_spans_only_until_the_purge_removes_them(data, monkeypatch):
    monkeypatch.setenv("JOURNEYS_KEEP_RAW_PII", "true")
    instance = dg.DagsterInstance.ephemeral()
    _materialize(data, instance, [ingest_traces])
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        kept = rows(con, "select conversation_id, attributes, attributes_raw, events_raw from raw.spans")
        assert EMAIL not in _stored(con, [t for t in RAW_TABLES if t != "spans"])
    changed = [r for r in kept if r["attributes_raw"] is not None]
    # the span that said personal data keeps its original; the other has nothing to keep
    assert [r["conversation_id"] for r in changed] == ["c1"]
    assert EMAIL in changed[0]["attributes_raw"] and CARD in changed[0]["attributes_raw"]
    assert EMAIL not in changed[0]["attributes"] and "[EMAIL]" in changed[0]["attributes"]
    originals = sum((r["attributes_raw"] is not None) + (r["events_raw"] is not None) for r in kept)

    # within the retention, nothing goes
    assert _purge(data, instance) == 0

    monkeypatch.setenv("JOURNEYS_RAW_PII_RETENTION_DAYS", "0")
    assert originals > 0 and _purge(data, instance) == originals
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert EMAIL not in _stored(con, list(RAW_TABLES))
        assert rows(con, "select count(*) as n from raw.spans where attributes_raw is not null")[0]["n"] == 0
    # a second purge finds nothing left
    assert _purge(data, instance) == 0


def test_without_the_opt_in_nothing_unredacted_is_stored(data, monkeypatch):
    monkeypatch.delenv("JOURNEYS_KEEP_RAW_PII", raising=False)
    _materialize(data, dg.DagsterInstance.ephemeral(), [ingest_traces])
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        stored = _stored(con, list(RAW_TABLES))
        assert rows(con, "select count(*) as n from raw.spans where attributes_raw is not null or events_raw is not null")[0]["n"] == 0
    assert EMAIL not in stored and CARD not in stored and "[EMAIL]" in stored
