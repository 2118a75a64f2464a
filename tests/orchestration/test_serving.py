import itertools
import json
import os
import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.assets.serving import build_serving_snapshot
from orchestration.defs.resources import JourneyMapResource, ServingResource, WarehouseResource
from orchestration.serving import (
    PARTITION_ROW_GROUP_ROWS,
    SNAPSHOTS_KEPT,
    SnapshotError,
    current_snapshot,
    publish_snapshot,
    read_routing_signals,
)


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.stage_funnel as select 'payment' as stage, 0.9::double as completion_rate")
    con.execute(
        "create table marts.routing_signals as select 'payment' as stage, "
        "'route_to_human_earlier' as recommendation, 0.55 as observed_value"
    )
    con.execute("create schema staging")
    con.execute("create table staging.stg_x as select 1 as x")
    yield con
    con.close()


def test_publishes_every_mart_and_only_marts(con, tmp_path):
    serving = tmp_path / "serving"
    snap = publish_snapshot(con, serving, journey_map_version="1")
    current = serving / "current"
    assert current.is_symlink() and current.resolve() == snap.path
    assert sorted(p.name for p in current.iterdir()) == [
        "manifest.json", "routing_signals.json", "routing_signals.parquet", "stage_funnel.parquet"
    ]
    manifest = json.loads((current / "manifest.json").read_text())
    assert manifest["tables"] == {"routing_signals": 1, "stage_funnel": 1}
    assert manifest["journey_map_version"] == "1"
    rows = duckdb.sql(f"select stage, completion_rate from '{current}/stage_funnel.parquet'").fetchall()
    assert rows == [("payment", 0.9)]


def test_routing_signals_file_is_published_for_orchestrators(con, tmp_path):
    serving = tmp_path / "serving"
    publish_snapshot(con, serving)
    doc = json.loads((serving / "routing_signals.json").read_text())
    assert doc["count"] == 1
    assert doc["signals"][0]["recommendation"] == "route_to_human_earlier"


def test_republishing_swaps_current_and_prunes_old_snapshots(con, tmp_path):
    serving = tmp_path / "serving"
    first = publish_snapshot(con, serving)
    # A reader that opened the first snapshot keeps reading it while a new one is published.
    with open(first.path / "stage_funnel.parquet", "rb") as held:
        con.execute("update marts.stage_funnel set completion_rate = 0.5::double")
        snaps = [publish_snapshot(con, serving) for _ in range(SNAPSHOTS_KEPT + 1)]
        assert (serving / "current").resolve() == snaps[-1].path
        assert len(list((serving / "snapshots").iterdir())) == SNAPSHOTS_KEPT
        assert held.read(4) == b"PAR1"
    rows = duckdb.sql(f"select completion_rate from '{serving}/current/stage_funnel.parquet'").fetchall()
    assert rows == [(0.5,)]
    assert not any(name.startswith(".") for name in os.listdir(serving / "snapshots"))


def test_without_a_routing_mart_there_is_no_signals_file(tmp_path):
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.journeys as select 1 as journey_id")
    snap = publish_snapshot(con, tmp_path / "serving")
    assert snap.routing_signals is None
    assert not (tmp_path / "serving" / "routing_signals.json").exists()


def test_the_snapshot_is_readable_by_owner_and_group_only_whatever_the_umask(con, tmp_path):
    _conversation_mart(con, ["2026-11-01", "2026-11-02"])  # a partitioned mart: directories in the snapshot
    previous = os.umask(0)  # the most permissive umask: the modes must not come from it
    try:
        serving = tmp_path / "serving"
        publish_snapshot(con, serving)
        publish_snapshot(con, serving)  # a re-publish links partitions and replaces routing_signals.json
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(serving).as_posix(): stat.S_IMODE(path.lstat().st_mode)
        for path in serving.rglob("*")
        if not path.is_symlink()
    }
    assert modes["routing_signals.json"] == 0o640
    assert {mode for name, mode in modes.items() if name.endswith((".parquet", ".json"))} == {0o640}
    assert {mode for name, mode in modes.items() if (serving / name).is_dir()} == {0o750}
    assert stat.S_IMODE(serving.stat().st_mode) == 0o750  # a serving directory it created
    assert any(name.endswith("partition_date=2026-11-02") for name in modes)


def _conversation_mart(con, days):
    con.execute(
        "create or replace table marts.conversation_evaluations as select 'c' || i as conversation_id, "
        "d::date as partition_date, 0.5::double as resolution_score "
        "from unnest(?::varchar[]) as u(d), range(3) as r(i)",
        [days],
    )


def _read_conversations(current):
    return duckdb.sql(
        f"select partition_date::varchar, conversation_id, resolution_score from read_parquet("
        f"'{current}/conversation_evaluations/**/*.parquet', hive_partitioning = true) order by all"
    ).fetchall()


def test_conversation_marts_are_hive_partitioned_and_only_changed_days_are_rewritten(con, tmp_path):
    serving = tmp_path / "serving"
    _conversation_mart(con, ["2026-11-01", "2026-11-02"])
    first = publish_snapshot(con, serving)
    days = sorted(p.name for p in (first.path / "conversation_evaluations").iterdir())
    assert days == ["partition_date=2026-11-01", "partition_date=2026-11-02"]
    assert json.loads((first.path / "manifest.json").read_text())["tables"]["conversation_evaluations"] == 6

    con.execute("update marts.conversation_evaluations set resolution_score = 0.9 where partition_date = '2026-11-02'")
    con.execute(
        "insert into marts.conversation_evaluations values ('c9', '2026-11-03', 0.1)"
    )
    second = publish_snapshot(con, serving)

    def inode(snapshot, day):
        (file,) = (snapshot.path / "conversation_evaluations" / f"partition_date={day}").iterdir()
        return file.stat().st_ino

    assert inode(second, "2026-11-01") == inode(first, "2026-11-01")  # unchanged: linked, not rewritten
    assert inode(second, "2026-11-02") != inode(first, "2026-11-02")
    rows = _read_conversations(serving / "current")
    assert [r for r in rows if r[0] == "2026-11-02"] == [("2026-11-02", f"c{i}", 0.9) for i in range(3)]
    assert ("2026-11-03", "c9", 0.1) in rows and len(rows) == 7
    # Republishing the same rows rewrites nothing and reads the same.
    third = publish_snapshot(con, serving)
    assert inode(third, "2026-11-02") == inode(second, "2026-11-02")
    assert _read_conversations(serving / "current") == rows


def test_an_empty_conversation_mart_keeps_its_columns(con, tmp_path):
    _conversation_mart(con, [])
    snap = publish_snapshot(con, tmp_path / "serving")
    columns = duckdb.sql(
        f"describe select * from read_parquet('{snap.path}/conversation_evaluations/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    assert [c[0] for c in columns] == ["conversation_id", "partition_date", "resolution_score"]


def test_everything_current_points_at_is_on_disk_before_the_swap(con, tmp_path, monkeypatch):
    """Each Parquet file, the manifest and the routing signals are fsynced, then the snapshot's
    directory; `current` is swapped only after, and its directory fsynced too."""
    serving = tmp_path / "serving"
    synced: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def record_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def record_replace(src, dst):
        synced.append(f"replace {dst}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", record_fsync)
    monkeypatch.setattr(os, "replace", record_replace)
    snap = publish_snapshot(con, serving)

    swap = synced.index(f"replace {serving / 'current'}")
    before_swap = set(synced[:swap])
    written = {str(snap.path / name) for name in os.listdir(snap.path)}
    assert {"manifest.json", "routing_signals.json"} <= set(os.listdir(snap.path))
    # The files were synced under the staging name the snapshot directory had before its rename.
    staged = {p.replace(str(snap.path), str(snap.path.parent / f".{snap.path.name}.partial")) for p in written}
    assert staged <= before_swap
    assert str(snap.path.parent) in before_swap  # the rename of the snapshot directory
    assert str(serving) in synced[swap + 1 :]  # the swap of `current`
    signals = synced.index(f"replace {serving / 'routing_signals.json'}")
    assert str(serving) in synced[signals + 1 :]


def test_the_reader_reads_back_what_the_writer_published(con, tmp_path):
    """Writer and reader share one declaration of the layout and the manifest's keys: the
    snapshot `publish_snapshot` returns is the one `current_snapshot` resolves."""
    serving = tmp_path / "serving"
    assert current_snapshot(serving) is None  # nothing published yet
    _conversation_mart(con, ["2026-11-01"])
    published = publish_snapshot(con, serving, journey_map_version="7")
    read = current_snapshot(serving)
    assert read == published
    assert read.marts == {"conversation_evaluations", "routing_signals", "stage_funnel"}
    assert (read.published_at, read.journey_map_version, read.routing_signals) == (
        published.published_at, "7", 1
    )
    assert read_routing_signals(serving) == read_routing_signals(read.path)
    assert read_routing_signals(serving)["count"] == read.routing_signals


def test_a_damaged_manifest_is_an_error_for_readers_and_the_next_publish_starts_afresh(con, tmp_path):
    serving = tmp_path / "serving"
    _conversation_mart(con, ["2026-11-01"])
    first = publish_snapshot(con, serving)
    (first.path / "manifest.json").chmod(0o640)
    (first.path / "manifest.json").write_text("{not json")
    with pytest.raises(SnapshotError, match="manifest.json is not readable JSON"):
        current_snapshot(serving)
    second = publish_snapshot(con, serving)  # nothing to link from: every partition is written
    assert current_snapshot(serving) == second
    assert _read_conversations(serving / "current") == [("2026-11-01", f"c{i}", 0.5) for i in range(3)]


def test_a_damaged_routing_signals_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "routing_signals.json").write_text("[1, 2]")
    with pytest.raises(SnapshotError, match="not a JSON object"):
        read_routing_signals(tmp_path)
    assert read_routing_signals(tmp_path / "nothing-published") is None


def test_the_asset_writes_back_the_signals_its_snapshot_published(con, tmp_path, receiver):
    """The Dagster asset publishes through the same module and sends the published signals to
    the OTLP endpoint as evaluation events."""
    warehouse = tmp_path / "w.duckdb"
    con.close()
    serving = tmp_path / "serving"
    result = dg.materialize(
        [build_serving_snapshot([])],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "serving": ServingResource(directory=str(serving), evaluation_events_endpoint=receiver.traces_url),
            "journey_map_file": JourneyMapResource(path=str(Path(__file__).parents[2] / "journey_map.yaml")),
        },
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["routing_signals"] == 1 and metadata["evaluation_events_exported"] == 1
    assert metadata["snapshot"] == str(current_snapshot(serving).path)
    (landed,) = list(receiver.landing.rglob("*.jsonl"))
    assert "route_to_human_earlier" in landed.read_text()


def test_a_failed_publish_leaves_no_staging_behind_and_keeps_current(con, tmp_path, monkeypatch):
    serving = tmp_path / "serving"
    first = publish_snapshot(con, serving)

    def disk_full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("orchestration.serving._write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        publish_snapshot(con, serving)
    assert sorted(p.name for p in (serving / "snapshots").iterdir()) == [first.path.name]
    assert current_snapshot(serving).path == first.path


def test_a_publish_removes_the_staging_a_killed_one_left(con, tmp_path):
    serving = tmp_path / "serving"
    killed = serving / "snapshots" / ".20261101T000000000000Z.partial"
    (killed / "stage_funnel").mkdir(parents=True)
    (killed / "stage_funnel" / "half-written.parquet").write_bytes(b"PAR1")
    snap = publish_snapshot(con, serving)
    assert sorted(p.name for p in (serving / "snapshots").iterdir()) == [snap.path.name]


def test_a_days_conversations_are_sorted_by_id_in_row_groups_a_lookup_can_skip(con, tmp_path):
    """Opening one conversation reads its day's file; sorted by id in small row groups, the
    row groups whose id range cannot hold it are skipped on their statistics."""
    rows = 3 * PARTITION_ROW_GROUP_ROWS
    con.execute(
        "create table marts.conversation_evaluations as "
        "select 'c' || lpad(((i * 7919) % ?)::varchar, 6, '0') as conversation_id, "
        "date '2026-11-01' as partition_date, repeat('a turn of text ', 20) as turns "
        "from range(?) as r(i)",
        [rows, rows],
    )
    published = publish_snapshot(con, tmp_path / "serving")
    (day_file,) = (published.path / "conversation_evaluations" / "partition_date=2026-11-01").iterdir()
    groups = duckdb.sql(
        f"select row_group_id, row_group_num_rows, stats_min_value, stats_max_value "
        f"from parquet_metadata('{day_file}') where path_in_schema = 'conversation_id' order by row_group_id"
    ).fetchall()
    assert len(groups) == rows // PARTITION_ROW_GROUP_ROWS
    assert all(n <= PARTITION_ROW_GROUP_ROWS for _, n, _, _ in groups)
    # Disjoint, ascending id ranges: a lookup by id matches one row group's min/max only.
    assert all(previous[3] < following[2] for previous, following in itertools.pairwise(groups))
