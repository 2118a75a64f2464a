"""The Parquet lake the Spark engine reads (orchestration/lake.py): hive layout, a re-run that
replaces exactly the changed day, idempotence, and the reader the quality gates use."""

from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest

from orchestration import lake, warehouse

DAY1, DAY2 = date(2026, 11, 2), date(2026, 11, 3)


def _evaluations(day: date, conversations: list[str], score: float) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "conversation_id": c,
                "evaluator": "conversation_resolution",
                "score": score,
                "passed": score >= 0.5,
                "status": "completed",
                "evidence": '{"cue": "thanks"}',
                "evaluated_at": datetime(2026, 11, 4),
                "partition_date": day,
            }
            for c in conversations
        ]
    )


@pytest.fixture
def con(tmp_path):
    with warehouse.warehouse(tmp_path / "w.duckdb") as con:
        warehouse.replace_partition(con, "evaluations", DAY1, _evaluations(DAY1, ["a", "b"], 0.9))
        warehouse.replace_partition(con, "evaluations", DAY2, _evaluations(DAY2, ["c"], 0.1))
        yield con


def _files(root):
    return {p.relative_to(root): p.stat().st_ino for p in root.rglob("*.parquet")}


def test_days_are_written_hive_partitioned_without_the_partition_column(con, tmp_path):
    report = lake.sync_lake(con, tmp_path / "lake")
    assert report.written["evaluations"] == ["2026-11-02", "2026-11-03"]
    day_file = tmp_path / "lake/raw/evaluations/partition_date=2026-11-02/part-00000.parquet"
    columns = [
        r[0]
        for r in duckdb.sql(
            f"describe select * from read_parquet('{day_file}', hive_partitioning = false)"
        ).fetchall()
    ]
    assert "partition_date" not in columns and "conversation_id" in columns
    # Spark reads the same rows back with the day from the directory name.
    rows = duckdb.sql(
        f"select conversation_id, partition_date from read_parquet('{tmp_path}/lake/raw/evaluations/*/*.parquet',"
        " hive_partitioning = true) order by 1"
    ).fetchall()
    assert rows == [("a", DAY1), ("b", DAY1), ("c", DAY2)]
    # Unpartitioned tables are one directory each, even when empty.
    assert (tmp_path / "lake/raw/journey_map_stages/part-00000.parquet").exists()


def test_a_second_sync_with_nothing_changed_writes_nothing(con, tmp_path):
    lake.sync_lake(con, tmp_path / "lake")
    before = _files(tmp_path / "lake/raw")
    assert not lake.sync_lake(con, tmp_path / "lake").changed
    assert _files(tmp_path / "lake/raw") == before


def test_a_rerun_day_replaces_exactly_that_days_directory(con, tmp_path):
    lake.sync_lake(con, tmp_path / "lake")
    before = _files(tmp_path / "lake/raw/evaluations")
    warehouse.replace_partition(con, "evaluations", DAY1, _evaluations(DAY1, ["a"], 0.2))
    report = lake.sync_lake(con, tmp_path / "lake")
    assert report.written == {"evaluations": ["2026-11-02"]}
    after = _files(tmp_path / "lake/raw/evaluations")
    day1 = [p for p in before if "2026-11-02" in str(p)]
    day2 = [p for p in before if "2026-11-03" in str(p)]
    assert all(after[p] != before[p] for p in day1)  # a new file swapped in
    assert all(after[p] == before[p] for p in day2)  # the other day untouched
    # Nothing of the staging or the swapped-out day is left behind.
    assert sorted(p.name for p in (tmp_path / "lake/raw/evaluations").iterdir()) == [
        "partition_date=2026-11-02",
        "partition_date=2026-11-03",
    ]
    got = lake.read_partition(tmp_path / "lake", "evaluations", DAY1)
    assert got[["conversation_id", "score"]].values.tolist() == [["a", 0.2]]
    assert set(got["partition_date"].astype(str)) == {"2026-11-02"}


def test_a_day_left_without_rows_is_removed(con, tmp_path):
    lake.sync_lake(con, tmp_path / "lake")
    warehouse.replace_partition(con, "evaluations", DAY2, _evaluations(DAY2, [], 0.0))
    assert lake.sync_lake(con, tmp_path / "lake").removed == {"evaluations": ["2026-11-03"]}
    assert not (tmp_path / "lake/raw/evaluations/partition_date=2026-11-03").exists()
    # The reader still answers for the day, with no rows and the table's columns.
    empty = lake.read_partition(tmp_path / "lake", "evaluations", DAY2)
    assert len(empty) == 0 and "evaluator" in empty.columns


def test_object_storage_is_refused_with_a_clear_error(con):
    with pytest.raises(ValueError, match="docs/deploy.md"):
        lake.sync_lake(con, "s3a://bucket/lake")
