"""The daily schedule, the landing sensor and the run-failure alert, evaluated the way the
daemon evaluates them (Dagster's build_*_context helpers)."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, time

import dagster as dg
import pytest
from otlp_lines import conversation_line

from orchestration.definitions import build_definitions
from orchestration.defs.assets.ingest import ingest_traces
from orchestration.defs.resources import LandingResource, WarehouseResource, platform_resources
from orchestration.defs.sensors import landing_files_sensor, related_days_sensor, run_failure_alert
from orchestration.materialization import RANGE_END_TAG, RANGE_START_TAG
from orchestration.settings import REPO_ROOT, Settings

CONVERSATIONS = dg.AssetKey(["raw", "conversations"])


def test_daily_schedule_targets_yesterdays_partition(monkeypatch):
    monkeypatch.delenv("JOURNEYS_DAILY_AT", raising=False)
    schedule = build_definitions(Settings.from_env()).resolve_schedule_def("daily_journeys_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-11-09"]
    assert schedule.job_name == "daily_journeys"


def test_the_schedule_runs_at_the_time_its_settings_say():
    settings = replace(Settings.from_env(), daily_at=time(5, 30))
    schedule = build_definitions(settings).resolve_schedule_def("daily_journeys_schedule")
    assert schedule.cron_schedule == "30 5 * * *"


def test_a_bad_daily_time_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("JOURNEYS_DAILY_AT", "25:00")
    with pytest.raises(ValueError, match="JOURNEYS_DAILY_AT must be a time of day"):
        Settings.from_env()


def test_importing_the_definitions_leaves_the_environment_alone():
    """Only loading the code location (calling `defs`) exports the settings, for dbt."""
    check = (
        "import os; before = dict(os.environ); import orchestration.definitions as d; "
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items()); "
        "d.defs(); assert os.environ['JOURNEYS_WAREHOUSE'].endswith('warehouse.duckdb')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNEYS_")}
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]



def _tick(instance: dg.DagsterInstance, cursor: str | None):
    resources = {"landing": platform_resources(Settings.from_env())["landing"]}
    result = landing_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    return sorted(r.partition_key for r in result.run_requests), result.cursor


def _mark_ingested(instance: dg.DagsterInstance, day: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(CONVERSATIONS, partition=day))


def test_new_files_trigger_the_days_they_contain(landing):
    instance = dg.DagsterInstance.ephemeral()
    (landing / "a.jsonl").write_text(
        conversation_line("a" * 32, datetime(2026, 11, 3, 10, 0)) + "\n"
        + conversation_line("b" * 32, datetime(2026, 11, 4, 23, 0)) + "\n"
    )
    days, cursor = _tick(instance, None)
    assert days == ["2026-11-03", "2026-11-04"]
    # Nothing changed since: the next tick asks for nothing.
    assert _tick(instance, cursor)[0] == []


def test_a_late_file_retriggers_exactly_its_day(landing):
    instance = dg.DagsterInstance.ephemeral()
    (landing / "day3.jsonl").write_text(conversation_line("c" * 32, datetime(2026, 11, 3, 9, 0)) + "\n")
    (landing / "day5.jsonl").write_text(conversation_line("d" * 32, datetime(2026, 11, 5, 9, 0)) + "\n")
    _, cursor = _tick(instance, None)
    for day in ("2026-11-03", "2026-11-05"):
        _mark_ingested(instance, day)

    late = landing / "late.jsonl"
    late.write_text(conversation_line("e" * 32, datetime(2026, 11, 3, 17, 0)) + "\n")
    stamp = datetime.now().timestamp() + 5  # written after the day's last ingestion
    os.utime(late, (stamp, stamp))
    days, cursor = _tick(instance, cursor)
    assert days == ["2026-11-03"]


def test_a_new_file_with_an_old_mtime_still_triggers_its_day(landing):
    """`cp -p`, rsync and tar keep the sender's mtime: a delivery the sensor has not seen
    counts even when it looks older than the day's last ingestion."""
    instance = dg.DagsterInstance.ephemeral()
    (landing / "day3.jsonl").write_text(conversation_line("c" * 32, datetime(2026, 11, 3, 9, 0)) + "\n")
    _, cursor = _tick(instance, None)
    _mark_ingested(instance, "2026-11-03")
    copied = landing / "copied.jsonl"
    copied.write_text(conversation_line("9" * 32, datetime(2026, 11, 3, 12, 0)) + "\n")
    os.utime(copied, (1_000_000_000, 1_000_000_000))
    days, cursor = _tick(instance, cursor)
    assert days == ["2026-11-03"]
    assert _tick(instance, cursor)[0] == []


def test_files_already_ingested_trigger_nothing(landing):
    """After `journeys materialize` (or the demo) ingested a day, the sensor's first look at the
    landing directory must not re-run the whole history."""
    instance = dg.DagsterInstance.ephemeral()
    path = landing / "old.jsonl"
    path.write_text(conversation_line("f" * 32, datetime(2026, 11, 6, 9, 0)) + "\n")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    _mark_ingested(instance, "2026-11-06")
    days, _ = _tick(instance, None)
    assert days == []


def test_a_late_tail_of_an_earlier_conversation_reruns_the_day_it_started(landing, tmp_path):
    """A file holding only the tail of a conversation begun the day before names the tail's day;
    ingesting that day finds the conversation's real day, and the sensor re-runs it."""
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb")),
        "landing": LandingResource(directory=str(landing)),
    }
    trace = "7a11" * 8
    (landing / "evening.jsonl").write_text(conversation_line(trace, datetime(2026, 11, 3, 23, 50)) + "\n")
    assert dg.materialize([ingest_traces], partition_key="2026-11-03", instance=instance, resources=resources).success
    (landing / "after-midnight.jsonl").write_text(
        conversation_line(trace, datetime(2026, 11, 4, 0, 10), span_id="b" * 16) + "\n"
    )
    assert dg.materialize([ingest_traces], partition_key="2026-11-04", instance=instance, resources=resources).success

    requests = list(related_days_sensor(dg.build_sensor_context(instance=instance)) or [])
    assert [r.partition_key for r in requests] == ["2026-11-03"]


@dg.op
def _boom():
    raise RuntimeError("warehouse is on fire")


@dg.job
def _failing_job():
    _boom()


def _alert_for_failed_run(tmp_path, tags: dict[str, str] | None = None, webhook: str = ""):
    settings = replace(Settings.from_env(), data_dir=tmp_path, alert_webhook=webhook)
    instance = dg.DagsterInstance.ephemeral()
    result = _failing_job.execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    failure_event = result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=failure_event,
        resources={"alerts": platform_resources(settings)["alerts"]},
    ).for_run_failure()
    run_failure_alert(context)
    return result, json.loads((tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()[-1])


def test_run_failure_writes_an_alert_record(tmp_path):
    result, record = _alert_for_failed_run(tmp_path, {"dagster/partition": "2026-11-03"})
    assert record["kind"] == "run_failure"
    assert record["partition"] == "2026-11-03"
    assert record["run_id"] == result.run_id
    assert record["failed_steps"] == ["_boom"]
    assert record["webhook"] == "not configured"


def test_a_failed_range_run_alert_names_its_days_and_backfill(tmp_path):
    tags = {RANGE_START_TAG: "2026-11-20", RANGE_END_TAG: "2026-11-21", "dagster/backfill": "cbhqyppb"}
    _, record = _alert_for_failed_run(tmp_path, tags)
    assert record["partition"] == "2026-11-20..2026-11-21"
    assert record["backfill"] == "cbhqyppb"


def test_the_alert_webhook_comes_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("JOURNEYS_ALERT_WEBHOOK", raising=False)
    _, record = _alert_for_failed_run(tmp_path, webhook="http://127.0.0.1:9/nothing")
    assert record["webhook"].startswith("webhook failed")  # posted to it (nothing listens there)


def test_the_failure_sensor_watches_every_job_including_ui_asset_backfills():
    """Asset backfills launched from the UI run as Dagster's implicit asset job; a sensor
    limited to our named jobs never saw them fail. (Which runs a tick picks up cannot be driven
    from a test: it matches each run's code-location origin, which in-process runs lack, so the
    definition's own setting is what is checked.)"""
    assert not run_failure_alert._monitored_jobs
    assert not run_failure_alert._monitor_all_code_locations
