"""The raw tables' DuckDB DDL and migrations, derived from their pyarrow declarations."""

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from orchestration.raw_tables import EVALUATIONS, RAW_TABLES, RawTable
from orchestration.warehouse import create_table_sql, duckdb_type, ensure_raw_tables, replace_partition

EXPECTED = Path(__file__).with_name("raw_tables_describe.tsv")


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    return [(name, type_, null) for name, type_, null, *_ in con.execute(f"describe raw.{table}").fetchall()]


def _expected() -> dict[str, list[tuple[str, str, str]]]:
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for line in EXPECTED.read_text().splitlines():
        if line and not line.startswith("#"):
            table, name, type_, null = line.split("\t")
            tables.setdefault(table, []).append((name, type_, null))
    return tables


def test_the_derived_ddl_creates_the_tables_the_hand_written_ddl_did():
    """Every column the hand-written DDL had, with its type and nullability, in its place; a
    column declared since comes after them and is nullable (what a migration can add)."""
    con = duckdb.connect()
    ensure_raw_tables(con)
    expected = _expected()
    assert set(expected) <= set(RAW_TABLES)
    for table, columns in expected.items():
        described = _describe(con, table)
        assert described[: len(columns)] == columns, table
        assert all(null == "YES" for _, _, null in described[len(columns) :]), table
    for table in set(RAW_TABLES) - set(expected):
        assert _describe(con, table) == [
            (f.name, duckdb_type(f.type), "YES" if f.nullable else "NO") for f in RAW_TABLES[table].schema
        ]


def test_an_older_warehouse_gains_the_columns_it_lacks_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    day = date(2026, 11, 2)
    with duckdb.connect(str(path)) as old:
        old.execute("create schema raw")
        for table in RAW_TABLES.values():
            # An older warehouse: every table without its last column (and evaluations without `engine`, a middle one).
            schema = table.schema.remove(
                table.schema.get_field_index("engine") if table is EVALUATIONS else len(table.schema) - 1
            )
            old.execute(create_table_sql(RawTable(table.name, schema, partition_column=None)))
        old.execute(
            "insert into raw.evaluations (conversation_id, evaluator, status, evaluated_at, partition_date) "
            "values ('c1', 'conversation_resolution', 'completed', '2026-11-02 10:00:00', ?)",
            [day],
        )
    with duckdb.connect(str(path)) as con:
        ensure_raw_tables(con)
        for table in RAW_TABLES.values():
            names = [name for name, _, _ in _describe(con, table.name)]
            assert sorted(names) == sorted(table.schema.names), table.name
        assert _describe(con, "evaluations")[-1] == ("engine", "VARCHAR", "YES")  # added last, nullable
        assert con.execute("select conversation_id, engine from raw.evaluations").fetchall() == [("c1", None)]
        # The migrated table takes rows built with the declared schema.
        rows = EVALUATIONS.rows(
            [
                {
                    "conversation_id": "c2",
                    "evaluator": "conversation_resolution",
                    "status": "completed",
                    "engine": "local",
                    "evidence": '{"quotes": []}',
                    "evaluated_at": datetime(2026, 11, 2, 11),
                    "partition_date": day,
                }
            ]
        )
        replace_partition(con, "evaluations", day, rows)
        assert con.execute(
            "select conversation_id, engine, evidence::varchar from raw.evaluations"
        ).fetchall() == [("c2", "local", '{"quotes": []}')]
        ensure_raw_tables(con)  # again: nothing left to add
        assert [name for name, _, _ in _describe(con, "evaluations")][-1] == "engine"


def test_a_type_without_a_duckdb_declaration_is_a_clear_error():
    with pytest.raises(TypeError, match="no DuckDB type declared"):
        duckdb_type(pa.timestamp("us", tz="UTC"))


def test_a_key_or_partition_column_must_be_a_column():
    with pytest.raises(ValueError, match="'id' is not one of its columns"):
        RawTable("t", pa.schema([("x", pa.string())]), key=("id",), partition_column=None)
