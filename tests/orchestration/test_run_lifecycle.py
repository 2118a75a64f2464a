"""A `journeys materialize` killed mid-run must not block the next one, Ctrl-C and SIGTERM stop it
within seconds with its run CANCELED, and the instance carries run monitoring for the daemon's
runs. Real child processes, real signals, a real Dagster instance."""

import signal
import socket
import subprocess
import time
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from materialize_process import (
    is_running,
    pool_state,
    runs_of,
    start_materialize,
    step_started,
    wait_for,
)
from platform_settings import platform_settings

from orchestration.dagster_home import ensure_dagster_home
from orchestration.run_lifecycle import (
    HOST_TAG,
    PID_TAG,
    PROCESS_STARTED_TAG,
    dbt_children,
    process_tags,
    recover_orphaned_runs,
    worker_is_gone,
)
from orchestration.settings import Settings
from orchestration.simulate import simulate

DAY = "2026-11-02"
INGEST_ONLY = ("--select", "key:raw/conversations")


@pytest.fixture
def landed(tmp_path):
    """A small simulated day in a data directory of its own, with its Dagster instance."""
    with platform_settings(tmp_path / "data") as data:
        simulate(data / "landing", journeys=12, start=date.fromisoformat(DAY), days=1, seed=5)
        ensure_dagster_home(Settings.from_env())
        with dg.DagsterInstance.get() as instance:
            yield data, instance


def _run(tags: dict[str, str]) -> dg.DagsterRun:
    return dg.DagsterRun(job_name="daily_journeys", run_id=str(uuid.uuid4()), tags=tags)


def test_a_dead_or_reused_pid_is_gone_and_a_live_one_is_not():
    host = socket.gethostname()
    mine = process_tags()
    assert worker_is_gone(_run(mine), host) is False
    # The same pid, but a process that started at another time: the pid was reused.
    assert worker_is_gone(_run({**mine, PROCESS_STARTED_TAG: "1"}), host) is True
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert worker_is_gone(_run({PID_TAG: str(finished.pid), HOST_TAG: host}), host) is True
    # Another host's processes cannot be seen from here, and an untagged run is not ours to judge.
    assert worker_is_gone(_run({PID_TAG: str(finished.pid), HOST_TAG: "elsewhere"}), host) is False
    assert worker_is_gone(_run({}), host) is False


def test_a_zombie_worker_is_gone():
    """A killed worker whose parent has not reaped it still answers kill(pid, 0)."""
    zombie = subprocess.Popen(["true"])
    try:
        while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z":
            time.sleep(0.01)
        tags = {PID_TAG: str(zombie.pid), HOST_TAG: socket.gethostname()}
        assert worker_is_gone(_run(tags), socket.gethostname()) is True
    finally:
        zombie.wait()


def test_the_instance_loads_run_monitoring(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("JOURNEYS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JOURNEYS_MAX_RUN_SECONDS", "5400")
    home = ensure_dagster_home(Settings.from_env())
    instance = dg.DagsterInstance.from_config(str(home))
    assert instance.run_monitoring_enabled
    settings = instance.run_monitoring_settings
    assert settings["free_slots_after_run_end_seconds"] > 0
    assert settings["start_timeout_seconds"] > 0 and settings["cancel_timeout_seconds"] > 0
    assert settings["poll_interval_seconds"] > 0
    assert instance.run_monitoring_max_runtime_seconds == 5400
    assert instance.event_log_storage.get_pool_config().default_pool_limit == 1


def test_a_dagster_home_without_settings_gets_the_pool_limit(tmp_path, monkeypatch):
    """A user's own DAGSTER_HOME with no dagster.yaml would leave the warehouse pool unlimited."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    ensure_dagster_home(Settings.from_env())
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home"))
    assert instance.event_log_storage.get_pool_config().default_pool_limit == 1
    assert instance.run_monitoring_enabled


def test_daemon_launched_jobs_carry_the_max_runtime_tag():
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings.from_env())

    expected = str(Settings.from_env().max_run_seconds)
    for name in ("daily_journeys", "rescore_cohort"):
        assert defs.resolve_job_def(name).tags["dagster/max_runtime"] == expected
    # The schedule and the sensors target these jobs, so their runs inherit the tag.
    repository = defs.get_repository_def()
    targets = {s.job_name for s in repository.schedule_defs} | {
        s.job_name for s in repository.sensor_defs if s.has_jobs
    }
    assert targets == {"daily_journeys"}


def test_start_up_frees_the_warehouse_slot_of_any_dead_or_ended_run(tmp_path):
    """Not only a run of the partition about to run: a dead process's run of another job and
    day, and an ended daemon-launched run that kept its slot (a worker killed mid-step)."""
    with platform_settings(tmp_path / "data"):
        ensure_dagster_home(Settings.from_env())
        with dg.DagsterInstance.get() as instance:
            finished = subprocess.Popen(["true"])
            finished.wait()
            host = socket.gethostname()
            orphan = _run({PID_TAG: str(finished.pid), HOST_TAG: host, "dagster/partition": "2026-10-01"})
            orphan = orphan._replace(job_name="rescore_cohort")
            ended = _run({})  # launched by the daemon: no process tags
            live = _run(process_tags())  # this test's own process: alive, left alone
            storage = instance.event_log_storage
            storage.set_concurrency_slots("warehouse", 3)
            for run, status in ((orphan, "STARTED"), (ended, "FAILURE"), (live, "STARTED")):
                instance.add_run(run.with_status(dg.DagsterRunStatus[status]))
                assert storage.claim_concurrency_slot("warehouse", run.run_id, "step").is_claimed

            lines = recover_orphaned_runs(instance).lines()

            assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
            assert instance.get_run_by_id(live.run_id).status == dg.DagsterRunStatus.STARTED
            assert pool_state(instance) == ({live.run_id}, {live.run_id})  # a claim stays listed as a step
            assert len(lines) == 4, lines
            assert lines[0] == (
                f"Run {orphan.run_id[:8]} (rescore_cohort 2026-10-01, pid {finished.pid} on {host}) was left "
                f"STARTED by process {finished.pid}, which no longer exists: marked it FAILURE."
            )
            assert sorted(lines[1:3]) == sorted(  # in run id order
                f"Freed the warehouse pool slot(s) of run {r.run_id[:8]} (FAILURE)." for r in (orphan, ended)
            )
            assert lines[3].startswith(f"Run {live.run_id[:8]} (daily_journeys, pid ")
            assert lines[3].endswith("holds a slot in the warehouse pool: this materialization waits for it.")


@pytest.mark.slow
def test_a_killed_materialization_does_not_block_the_next(landed, tmp_path):
    data, instance = landed
    victim = start_materialize(data, DAY, *INGEST_ONLY, log=tmp_path / "victim.log")
    wait_for(
        lambda: pool_state(instance)[0] & {r.run_id for r in runs_of(instance, victim.pid)}, victim, "a slot"
    )
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    (orphan,) = runs_of(instance, victim.pid)
    assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.STARTED
    assert orphan.run_id in pool_state(instance)[0]

    log = tmp_path / "next.log"
    follower = start_materialize(data, DAY, *INGEST_ONLY, log=log)
    try:
        assert follower.wait(timeout=600) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        follower.kill()
        raise AssertionError(f"the next materialization waited for the dead run's slot:\n{log.read_text()}")
    output = log.read_text()
    assert f"Run {orphan.run_id[:8]}" in output and "marked it FAILURE" in output
    assert f"Freed the warehouse pool slot(s) of run {orphan.run_id[:8]} (FAILURE)" in output
    assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
    assert pool_state(instance) == (set(), set())


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_a_materialization_waiting_for_the_pool(landed, tmp_path, signum, exit_code):
    data, instance = landed
    # A live run (this test process) holds the only warehouse slot, so the materialization waits.
    holder = _run(process_tags())
    instance.add_run(holder.with_status(dg.DagsterRunStatus.STARTED))
    instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
    assert instance.event_log_storage.claim_concurrency_slot("warehouse", holder.run_id, "holder").is_claimed

    log = tmp_path / "stopped.log"
    waiting = start_materialize(data, DAY, *INGEST_ONLY, log=log)
    wait_for(lambda: pool_state(instance)[1] - {holder.run_id}, waiting, "the run to wait for the pool")
    waiting.send_signal(signum)
    try:
        returncode = waiting.wait(timeout=10)
    except subprocess.TimeoutExpired:
        waiting.kill()
        raise AssertionError(
            f"{signum.name} did not stop journeys materialize within 10 s:\n{log.read_text()}"
        )
    assert returncode == exit_code, log.read_text()
    (run,) = runs_of(instance, waiting.pid)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED
    assert f"Stopped by {signum.name}: run {run.run_id[:8]} canceled" in log.read_text()
    # Its pending claim is gone; the live holder keeps its slot.
    assert pool_state(instance) == ({holder.run_id}, {holder.run_id})


@pytest.mark.slow
def test_sigterm_during_dbt_cancels_the_run_and_stops_dbt(landed, tmp_path):
    """The interrupt lands while dagster-dbt streams dbt's output, where it was once swallowed
    (`generator ignored GeneratorExit`): the run must still end CANCELED with its slots freed,
    and no dbt process may be left writing the warehouse."""
    data, instance = landed
    log = tmp_path / "stopped.log"
    process = start_materialize(data, DAY, log=log)
    wait_for(
        lambda: step_started(instance, process.pid, "dbt_") and dbt_children(process.pid),
        process,
        "dbt to run",
    )
    dbt = dbt_children(process.pid)
    process.send_signal(signal.SIGTERM)
    # How fast it stops is test_a_signal_stops_a_materialization_waiting_for_the_pool's concern;
    # winding down a step on a loaded machine takes longer, and this test is about the outcome.
    try:
        returncode = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"SIGTERM did not stop journeys materialize:\n{log.read_text()}")
    assert returncode == 143, log.read_text()
    statuses = {r.run_id: instance.get_run_by_id(r.run_id).status for r in runs_of(instance, process.pid)}
    stopped = [run_id for run_id, status in statuses.items() if status != dg.DagsterRunStatus.SUCCESS]
    assert [statuses[run_id] for run_id in stopped] == [dg.DagsterRunStatus.CANCELED], (
        statuses,
        log.read_text(),
    )
    assert f"Stopped by SIGTERM: run {stopped[0][:8]} canceled" in log.read_text()
    assert pool_state(instance) == (set(), set())
    assert not [pid for pid in dbt if is_running(pid)], "dbt outlived journeys materialize"
