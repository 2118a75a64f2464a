"""The scratch tables one ingestion run hands between its stages are the ones scratch.py lists,
and the stages it names as their writers and readers exist."""

from __future__ import annotations

import importlib

from ingest_builders import DAY, JOURNEY, request, rows, span, write_lines

from orchestration.ingest import load, scratch
from orchestration.ingest.report import IngestReport
from orchestration.settings import Settings
from orchestration.warehouse import ensure_raw_tables


def _function(stage: str):
    module, _, qualname = stage.partition(".")
    found = importlib.import_module(f"orchestration.ingest.{module}")
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def test_every_writer_and_reader_named_is_a_function_of_ingestion():
    for table in (*scratch.SCRATCH_TABLES, *scratch.SPAN_ROW_VIEWS):
        for stage in (table.written_by, *table.read_by):
            assert callable(_function(stage)), f"{table.name}: {stage}"


def test_a_run_hands_on_exactly_the_listed_scratch_tables(landing, warehouse):
    attrs = {**JOURNEY, "session.id": "c1"}
    write_lines(landing / "day.jsonl", [request(span(1, 1, 0, 60, attrs)), "not json"])
    ensure_raw_tables(warehouse)
    load.install_macros(warehouse)
    # The run before its tables are dropped (ingest_partition drops them when it ends).
    load._ingest(warehouse, landing, DAY, IngestReport(DAY), False, Settings.from_env())

    created = {row["table_name"] for row in rows(warehouse, "select table_name from duckdb_tables() where temporary")}
    assert created == {table.name for table in scratch.SCRATCH_TABLES}
    scratch.drop_all(warehouse)
    assert rows(warehouse, "select table_name from duckdb_tables() where temporary") == []
