"""`orchestration.scoring.score_partition` against a real DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from judge_server import JudgeServer

from evals import JudgeConfig
from orchestration import scoring
from orchestration.scoring import cohort_days, score_partition
from orchestration.settings import Settings
from orchestration.warehouse import ensure_raw_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 4)  # a Wednesday of ISO week 2026-W45
RESOLVED = [
    ("customer", "Hi, please upgrade my plan to Premium."),
    ("agent", "Your plan has been upgraded to Premium."),
    ("customer", "Great, thanks!"),
]
FAILED = [
    ("customer", "Please refund my last invoice."),
    ("agent", "Sorry, I couldn't process a refund for that invoice."),
    ("customer", "Forget it."),
]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(connection)
    yield connection
    connection.close()


@pytest.fixture
def build_marts(tmp_path: Path) -> Iterator[Callable[[duckdb.DuckDBPyConnection], duckdb.DuckDBPyConnection]]:
    """Close the test's connection, build the marts a cohort re-score reads (real dbt, target
    and logs under tmp_path) and hand back a new connection to the same warehouse."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def build(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        con.close()
        project = REPO_ROOT / "dbt_project"
        models = "+path:models/marts/journeys.sql +path:models/marts/conversation_evaluations.sql"
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "run",
                "--select",
                *models.split(),
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                str(tmp_path / "target"),
                "--log-path",
                str(tmp_path / "logs"),
            ],
            env={**os.environ, "JOURNEYS_WAREHOUSE": str(tmp_path / "warehouse.duckdb")},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-4000:]
        opened.append(duckdb.connect(str(tmp_path / "warehouse.duckdb")))
        return opened[-1]

    yield build
    for connection in opened:
        connection.close()


def add_conversation(
    con: duckdb.DuckDBPyConnection,
    conversation_id: str,
    journey_id: str | None,
    started_at: datetime,
    turns: list[tuple[str, str]],
    *,
    stage: str | None = "sign-up",
    segment: str = "consumer",
) -> None:
    con.execute(
        """insert into raw.conversations (conversation_id, journey_id, customer_id, journey_name, stage, channel,
               segment, started_at, ended_at, turns, turn_count, partition_date, ingested_at)
           values (?, ?, 'cust', 'streaming_onboarding', ?, 'chat', ?, ?, ?, ?, ?, ?, now())""",
        [
            conversation_id,
            journey_id,
            stage,
            segment,
            started_at,
            started_at + timedelta(minutes=15),
            [{"role": role, "text": text, "ts": started_at} for role, text in turns],
            len(turns),
            started_at.date(),
        ],
    )


def rows(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple]:
    result = con.execute(
        "select conversation_id, evaluator, score, status, engine, rubric_version, evaluated_at, reason, evidence "
        "from raw.evaluations"
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in result}


def test_scores_every_conversation_with_every_evaluator(con: duckdb.DuckDBPyConnection) -> None:
    add_conversation(con, "c1", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    add_conversation(con, "c2", "j2", datetime(2026, 11, 4, 10), FAILED)
    add_conversation(con, "c0", "j0", datetime(2026, 11, 3, 10), RESOLVED)  # another partition
    report = score_partition(con, DAY)
    written = rows(con)
    assert report.conversations == 2 and report.rows_written == 6 and len(written) == 6
    resolved, status, engine = written[("c1", "conversation_resolution")][:3]
    assert resolved >= 0.9 and (status, engine) == ("completed", "local")
    failed = written[("c2", "conversation_resolution")][0]
    assert failed <= 0.1
    evidence = json.loads(written[("c2", "conversation_resolution")][-1])
    assert {"turn", "quote", "note", "source"} <= set(evidence[0])
    assert con.execute("select distinct partition_date from raw.evaluations").fetchall() == [(DAY,)]
    assert report.status_counts["conversation_resolution"] == {"completed": 2}
    assert report.mean_scores["conversation_resolution"] == pytest.approx((resolved + failed) / 2)
    metadata = report.to_metadata()
    assert metadata["conversation_resolution.completed"] == 2 and "judge.calls" not in metadata
    assert "2 conversations" in report.summary()


def test_rerunning_a_partition_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    add_conversation(con, "c1", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    score_partition(con, DAY)
    first = {k: v[:4] for k, v in rows(con).items()}
    score_partition(con, DAY)
    assert {k: v[:4] for k, v in rows(con).items()} == first
    assert con.execute("select count(*) from raw.evaluations").fetchone()[0] == 3


def test_retention_reads_the_journeys_earlier_stages_from_earlier_partitions(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_conversation(
        con,
        "s1",
        "j1",
        datetime(2026, 11, 2, 9),
        [
            ("customer", "Sign me up, my email is lee@example.com"),
            ("agent", "Your account has been created."),
        ],
    )
    add_conversation(
        con,
        "s2",
        "j1",
        datetime(2026, 11, 4, 9),
        [
            ("agent", "What's your email address?"),
            ("customer", "lee@example.com"),
            ("agent", "Payment added."),
        ],
        stage="payment",
    )
    add_conversation(con, "s0", "j1", datetime(2026, 11, 1, 9), [])  # an empty earlier stage is harmless
    # Same journey, but it started before s2 ended: not earlier context.
    add_conversation(
        con,
        "s3",
        "j1",
        datetime(2026, 11, 4, 9, 5),
        [("customer", "my email is other@example.com"), ("agent", "noted")],
        stage="payment",
    )
    score_partition(con, DAY, evaluators=["customer_agent_context_retention"])
    written = rows(con)
    score, status = written[("s2", "customer_agent_context_retention")][:2]
    assert status == "completed" and score is not None and score < 0.5
    evidence = json.loads(written[("s2", "customer_agent_context_retention")][-1])
    assert any(e["source"] == "context[0]" and "lee@example.com" in e["quote"] for e in evidence)
    assert all(status == "completed" for _, status, *_ in written.values())


def test_cohort_rescore_with_another_engine_replaces_only_that_cohorts_rows(
    con: duckdb.DuckDBPyConnection, build_marts, judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    add_conversation(con, "old-start", "j-old", datetime(2026, 10, 27, 9), RESOLVED)  # cohort 2026-W44
    add_conversation(con, "old", "j-old", datetime(2026, 11, 4, 9), RESOLVED, stage="payment")
    add_conversation(con, "new", "j-new", datetime(2026, 11, 4, 10), RESOLVED)  # cohort 2026-W45
    score_partition(con, DAY)
    con = build_marts(con)
    before = rows(con)

    report = score_partition(con, DAY, engine="llm", cohort_week="2026-W44", judge=judge_config)
    after = rows(con)
    assert report.conversations == 1 and report.rows_written == 3
    assert all(
        after[("old", n)][2] == "llm" for n in ("conversation_resolution", "customer_agent_context_retention")
    )
    assert all(
        after[("new", n)] == before[("new", n)]
        for n in ("conversation_resolution", "customer_agent_conversation_quality")
    )
    metadata = report.to_metadata()
    assert (
        metadata["judge.calls"] == 3
        and metadata["judge.total_tokens"] > 0
        and metadata["scope"] == "cohort 2026-W44"
    )

    again = score_partition(con, DAY, engine="llm", cohort_week="2026-W44", judge=judge_config)
    assert again.stats.calls == 0 and again.stats.cache_hits == 3  # re-materializing makes no new calls


def test_segment_and_evaluator_subsets_leave_other_rows_alone(
    con: duckdb.DuckDBPyConnection, build_marts
) -> None:
    add_conversation(con, "biz", "j1", datetime(2026, 11, 4, 9), RESOLVED, segment="business")
    add_conversation(con, "home", "j2", datetime(2026, 11, 4, 9), RESOLVED, segment="consumer")
    score_partition(con, DAY)
    con = build_marts(con)
    before = rows(con)
    report = score_partition(con, DAY, segment="business", evaluators=["conversation_resolution"])
    after = rows(con)
    assert report.conversations == 1 and report.rows_written == 1
    assert after[("biz", "conversation_resolution")][4] > before[("biz", "conversation_resolution")][4]
    unchanged = [key for key in before if key != ("biz", "conversation_resolution")]
    assert all(after[key] == before[key] for key in unchanged)


def test_an_unreadable_transcript_is_a_failed_row_not_a_crash(con: duckdb.DuckDBPyConnection) -> None:
    add_conversation(con, "bad", "j1", datetime(2026, 11, 4, 9), [("narrator", "Once upon a time")])
    add_conversation(con, "empty", "j2", datetime(2026, 11, 4, 10), [])
    report = score_partition(con, DAY)
    written = rows(con)
    assert written[("bad", "conversation_resolution")][1] == "failed"
    assert "unknown role" in written[("bad", "conversation_resolution")][-2]
    assert written[("empty", "conversation_resolution")][1] == "not_applicable"
    assert report.status_counts["conversation_resolution"] == {"failed": 1, "not_applicable": 1}


def test_engine_and_judge_cache_default_to_the_settings(
    con: duckdb.DuckDBPyConnection, judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_conversation(con, "c1", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    monkeypatch.delenv("JOURNEYS_EVAL_ENGINE", raising=False)
    monkeypatch.delenv("JOURNEYS_LLM_CACHE", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", judge_server.base_url)  # the evaluator library's own configuration
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    settings = replace(Settings.from_env(), eval_engine="llm", llm_cache=tmp_path / "cache.sqlite")
    report = score_partition(con, DAY, evaluators=["conversation_resolution"], settings=settings)
    assert report.engine == "llm" and len(judge_server.requests) == 1
    assert (tmp_path / "cache.sqlite").exists()


def test_an_empty_partition_clears_its_rows(con: duckdb.DuckDBPyConnection) -> None:
    add_conversation(con, "c1", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    score_partition(con, DAY)
    con.execute("delete from raw.conversations")
    report = score_partition(con, DAY)
    assert (
        report.conversations == 0 and con.execute("select count(*) from raw.evaluations").fetchone()[0] == 0
    )


def test_a_malformed_cohort_week_is_rejected(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="ISO week"):
        score_partition(con, DAY, cohort_week="2026-45")


def test_a_cohort_rescore_picks_the_cohort_the_marts_show(
    con: duckdb.DuckDBPyConnection, build_marts
) -> None:
    """The journey's first conversation has no stage, so it is not rollup-eligible: the marts
    put the journey in 2026-W45 (its first eligible conversation), not 2026-W44."""
    add_conversation(con, "stageless", "j1", datetime(2026, 10, 27, 9), RESOLVED, stage=None)
    add_conversation(con, "eligible", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    con = build_marts(con)
    (shown,) = con.execute("select cohort_week from marts.journeys where journey_id = 'j1'").fetchone()
    assert shown == "2026-W45"
    assert cohort_days(con, cohort_week="2026-W44") == []
    assert score_partition(con, date(2026, 10, 27), cohort_week="2026-W44").conversations == 0
    assert cohort_days(con, cohort_week="2026-W45") == [DAY]
    assert score_partition(con, DAY, cohort_week="2026-W45").conversations == 1


def test_a_cohort_rescore_before_the_marts_exist_says_what_to_do(con: duckdb.DuckDBPyConnection) -> None:
    add_conversation(con, "c1", "j1", datetime(2026, 11, 4, 9), RESOLVED)
    with pytest.raises(ValueError, match="materialize the days first"):
        score_partition(con, DAY, cohort_week="2026-W45")


def test_scoring_in_worker_processes_and_in_chunks_writes_the_same_rows_as_in_process(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = [("customer", "Sign me up, my email is lee@example.com"), ("agent", "Your account has been created.")]
    reask = [("agent", "What's your email address?"), ("customer", "lee@example.com"), ("agent", "Payment added.")]
    for j in range(6):
        add_conversation(con, f"e{j}", f"j{j}", datetime(2026, 11, 3, 9, j), earlier)
        for k, turns in enumerate((RESOLVED, FAILED, reask)):
            add_conversation(con, f"c{j}-{k}", f"j{j}", datetime(2026, 11, 4, 9 + k, j), turns, stage="payment")
    add_conversation(con, "no-journey", None, datetime(2026, 11, 4, 12), RESOLVED)

    def written() -> list[tuple]:
        return con.execute(
            "select conversation_id, evaluator, score, passed, status, reason, evidence, engine, rubric_version "
            "from raw.evaluations order by all"
        ).fetchall()

    serial = score_partition(con, DAY, workers=1)
    in_process = written()
    parallel = score_partition(con, DAY, workers=2)
    assert written() == in_process
    assert len(in_process) == 19 * 3
    assert (parallel.status_counts, parallel.mean_scores) == (serial.status_counts, serial.mean_scores)
    assert parallel.stats.evaluated == serial.stats.evaluated > 0
    # A day scored a few journeys at a time (as a large day is, to bound memory) writes the same.
    monkeypatch.setattr(scoring, "CHUNK_CONVERSATIONS", 2)
    chunked = score_partition(con, DAY, workers=2)
    assert written() == in_process
    assert (chunked.status_counts, chunked.mean_scores) == (serial.status_counts, serial.mean_scores)
    assert chunked.stats.evaluated == serial.stats.evaluated
