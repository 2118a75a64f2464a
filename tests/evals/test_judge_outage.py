"""A judge outage under `dg.materialize`: the blocking check on raw/evaluations fails the run, for
both engines that call the judge, and every row says who decided it. The judge is the loopback
OpenAI-compatible server, made to answer 500 to everything."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from asset_resources import asset_resources
from judge_server import JudgeServer, Reply

from evals import EngineStats
from orchestration.defs.assets.evaluations import (
    ENGINE_TAG,
    EVALUATIONS_KEY,
    JUDGE_FAILURE_CHECK,
    evaluations,
    judge_failure_check,
)
from orchestration.defs.assets.ingest import ingest_traces
from orchestration.scoring import ScoringReport
from orchestration.simulate import simulate
from orchestration.warehouse import connect, ensure_raw_tables

DAY = "2026-11-03"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("outage")
    simulate(data / "landing", journeys=12, start=date.fromisoformat(DAY), days=1, seed=11)
    resources = asset_resources(data)
    assert dg.materialize([ingest_traces], partition_key=DAY, resources=resources).success
    return data, resources


@pytest.fixture
def judge_env(monkeypatch: pytest.MonkeyPatch, judge_server: JudgeServer, tmp_path: Path) -> JudgeServer:
    monkeypatch.setenv("OPENAI_BASE_URL", judge_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("JOURNEYS_JUDGE_MAX_RETRIES", "0")
    monkeypatch.setenv("JOURNEYS_LLM_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.delenv("JOURNEYS_MAX_JUDGE_FAILURE_RATE", raising=False)
    return judge_server


def _score(resources: dict, engine: str) -> tuple[dg.ExecuteInProcessResult, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [evaluations], partition_key=DAY, resources=resources, tags={ENGINE_TAG: engine}, raise_on_error=False
    )
    (evaluation,) = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert evaluation.check_name == JUDGE_FAILURE_CHECK and evaluation.asset_key == EVALUATIONS_KEY
    return result, evaluation


def _decided_by(data: Path) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return {
            (d, s): n
            for d, s, n in con.execute(
                "select decided_by, status, count(*) from raw.evaluations group by all"
            ).fetchall()
        }


@pytest.mark.parametrize("engine", ["llm", "hybrid"])
def test_a_judge_outage_fails_the_blocking_check_with_each_days_share(ingested, judge_env, engine):
    data, resources = ingested
    judge_env.outage = Reply(status=500)
    result, evaluation = _score(resources, engine)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert not result.success  # blocking: nothing downstream would build on these rows
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert (
        metadata[DAY] == 1.0 and metadata["days_over"] == [DAY] and metadata["max_judge_failure_rate"] == 0.05
    )
    decided = _decided_by(data)
    if engine == "llm":
        # Every conversation sent to the judge failed; one too short to judge, or whose customer
        # declined AI evaluation (not_applicable, decided locally), never reached it.
        assert ("llm", "failed") in decided and ("llm", "completed") not in decided
        assert set(decided) <= {("llm", "failed"), ("llm", "not_applicable"), ("local", "not_applicable")}
    else:  # the local verdicts are kept, and say so: none passes for a judged one
        assert {d for d, _ in decided} == {"local"} and ("local", "completed") in decided
        assert len(judge_env.requests) > 0


@pytest.mark.parametrize("engine", ["llm", "hybrid"])
def test_a_healthy_judge_passes_the_check(ingested, judge_env, engine):
    data, resources = ingested
    result, evaluation = _score(resources, engine)
    assert result.success and evaluation.passed
    assert {k: v.value for k, v in evaluation.metadata.items()}[DAY] == 0.0
    assert ("llm", "completed") in _decided_by(data)


def test_a_failure_rate_within_the_setting_passes(ingested, judge_env, monkeypatch):
    _, resources = ingested
    judge_env.outage = Reply(status=500)
    monkeypatch.setenv("JOURNEYS_MAX_JUDGE_FAILURE_RATE", "1")
    result, evaluation = _score(resources, "llm")
    assert result.success and evaluation.passed


def test_an_old_warehouse_gains_the_decided_by_column(tmp_path):
    con = connect(tmp_path / "old.duckdb")
    con.execute("create schema raw")
    con.execute(
        "create table raw.evaluations (conversation_id varchar not null, evaluator varchar not null, "
        "score double, passed boolean, status varchar not null, reason varchar, evidence json, engine varchar, "
        "rubric_version varchar, latency_ms double, evaluated_at timestamp not null, partition_date date not null)"
    )
    ensure_raw_tables(con)
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where table_name = 'evaluations'"
        ).fetchall()
    ]
    con.close()
    assert columns[-1] == "decided_by"


def test_each_day_of_a_range_is_held_to_the_rate_on_its_own():
    """A range run: the outage of one day is not diluted by the calls of the others."""

    def day(iso: str, calls: int, failed: int) -> ScoringReport:
        report = ScoringReport(date.fromisoformat(iso), "hybrid", (), None, None)
        report.stats = EngineStats(calls=calls, failed_calls=failed)
        return report

    reports = [day("2026-11-02", 100, 0), day("2026-11-03", 10, 1), day("2026-11-04", 0, 0)]
    result = judge_failure_check(reports, 0.05)  # 1 of 111 calls overall, but 10% on the 3rd
    assert not result.passed and result.description.endswith("on 2026-11-03 (10.0%)")
    assert {k: v.value for k, v in result.metadata.items()} == {
        "max_judge_failure_rate": 0.05,
        "days_over": ["2026-11-03"],
        "2026-11-02": 0.0,
        "2026-11-03": 0.1,
        "2026-11-04": 0.0,
    }
    assert judge_failure_check(reports, 0.1).passed  # the threshold itself is not exceeded


def test_a_rate_just_over_the_setting_fails_however_it_rounds():
    """100 failures in 1,999 calls is 5.0025%: over 5%, though it rounds to 0.05 at 4 digits."""
    report = ScoringReport(date.fromisoformat(DAY), "llm", (), None, None)
    report.stats = EngineStats(calls=1999, failed_calls=100)
    result = judge_failure_check([report], 0.05)
    assert not result.passed and result.metadata["days_over"].value == [DAY]
    assert result.metadata[DAY].value == 100 / 1999  # the share the check compared, not a rounding of it
