"""The whole stack on simulated traffic: simulate -> `journeys materialize` (real Dagster runs,
real dbt, real GX gates) -> marts and the serving snapshot, checked against the simulator's
ground truth."""

from datetime import date

import duckdb
import pytest
from app_runner import run_app
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.simulate import simulate

PAGES = ["overview", "stages", "channel_mix", "conversations", "compliance", "routing"]
START = date(2026, 11, 2)
DAYS = 4


@pytest.fixture(scope="module")
def materialized(platform_env):
    sim = simulate(platform_env / "landing", journeys=60, start=START, days=DAYS, seed=11)
    result = CliRunner().invoke(main, ["materialize", "--start", "2026-11-02", "--end", "2026-11-05"])
    return sim, result, platform_env


def _rows(con, sql):
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_materialize_succeeds_and_reports_each_day(materialized):
    _, result, _ = materialized
    assert result.exit_code == 0, result.output
    for day in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"):
        assert day in result.output
    assert "evaluators and dbt models 2026-11-02..2026-11-05" in result.output
    assert "Materialized 4 day(s)" in result.output


def test_every_simulated_conversation_is_ingested_and_scored(materialized):
    sim, _, data = materialized
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        conversations = {
            r[0] for r in con.execute("select conversation_id from raw.conversations").fetchall()
        }
        evaluations = con.execute(
            "select evaluator, count(*) from raw.evaluations group by 1 order by 1"
        ).fetchall()
        quarantined = con.execute("select count(*) from raw.ingest_quarantine").fetchone()[0]
    assert conversations == {c.conversation_id for c in sim.truth.conversations}
    assert quarantined == 0
    assert evaluations == [
        ("conversation_resolution", len(conversations)),
        ("customer_agent_context_retention", len(conversations)),
        ("customer_agent_conversation_quality", len(conversations)),
    ]


def test_stage_funnel_matches_the_planted_truth(materialized):
    sim, _, data = materialized
    funnel = duckdb.sql(f"select * from '{data}/serving/current/stage_funnel.parquet'").fetchall()
    assert funnel, "the published snapshot has an empty stage_funnel"
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        got = {
            (r["journey_name"], r["stage"], r["cohort_week"]): {
                k: r[k] for k in ("entered", "completed", "reentered", "conversations")
            }
            for r in _rows(con, "select * from marts.stage_funnel")
            if r["entered"]
        }
    assert got == sim.truth.stage_funnel()


def test_the_snapshot_serves_every_mart_and_routing_signals(materialized):
    _, _, data = materialized
    current = data / "serving" / "current"
    published = {p.stem for p in current.glob("*.parquet")}
    assert {
        "stage_funnel",
        "channel_mix",
        "stage_handoffs",
        "journeys",
        "conversation_evaluations",
        "daily_stage_metrics",
        "stage_compliance",
    } <= published
    assert (data / "serving" / "routing_signals.json").exists() == ("routing_signals" in published)


def _evaluated_at(data) -> dict[tuple[str, str], object]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select conversation_id, evaluator, evaluated_at from raw.evaluations").fetchall()
    return {(cid, evaluator): at for cid, evaluator, at in rows}


def test_a_cohort_rescore_replaces_only_that_cohorts_rows(materialized):
    sim, _, data = materialized
    cohorts = {j.journey_id: j.cohort_week for j in sim.truth.journeys}
    week = min(cohorts.values())
    in_cohort = {c.conversation_id for c in sim.truth.conversations if cohorts[c.journey_id] == week}
    before = _evaluated_at(data)

    result = CliRunner().invoke(main, ["rescore", "--cohort-week", week, "--engine", "local"])

    assert result.exit_code == 0, result.output
    after = _evaluated_at(data)
    assert after.keys() == before.keys()  # nothing lost, nothing added
    changed = {key[0] for key, at in after.items() if at != before[key]}
    assert changed == in_cohort


@pytest.mark.parametrize("page", PAGES)
def test_every_dashboard_page_renders_the_real_marts(materialized, page, monkeypatch):
    """The app's own tests use small fixture marts; this runs it on what dbt really published,
    so a renamed or missing mart column cannot go unnoticed."""
    _, _, data = materialized
    monkeypatch.setenv("JOURNEYS_SERVING_DIR", str(data / "serving"))
    at = run_app(page)
    assert not at.exception, [e.value for e in at.exception]
    missing = [i.value for i in at.info if "is not in the published snapshot" in str(i.value)]
    assert not missing
