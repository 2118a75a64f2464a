"""Partitioned runs as Dagster makes them: the incremental models with the partition window as
vars, then the cohort-level marts rebuilt over all history."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dbt_harness import DbtWarehouse

INCREMENTAL = "config.materialized:incremental"
# Every incremental model and the key that orders its rows.
INCREMENTAL_TABLES = {
    "staging.stg_conversations": "conversation_id",
    "staging.stg_evaluations": "conversation_id, evaluator",
    "staging.stg_journey_events": "event_id",
    "intermediate.int_conversation_scores": "conversation_id",
    "marts.conversation_evaluations": "conversation_id",
    "marts.daily_stage_metrics": "date, journey_name, stage, channel",
}
COHORT_MARTS = {
    "marts.journeys": "journey_id",
    "marts.stage_funnel": "journey_name, stage, cohort_week",
    "marts.channel_mix": "journey_name, channel_sequence",
    "marts.stage_handoffs": "journey_name, from_stage, to_stage",
    "marts.stage_compliance": "journey_name, stage",
}


def window(start: str, end: str) -> dict[str, str]:
    return {"partition_start": start, "partition_end": end}


def _rounded(value: Any) -> Any:
    # Means of doubles may differ in the last bit with the order DuckDB's threads add them up.
    return round(value, 12) if isinstance(value, float) else value


def snapshot(warehouse: DbtWarehouse, tables: dict[str, str]) -> dict[str, list[dict]]:
    """Every row of the tables, ordered by their keys, floats rounded to 12 decimals."""
    return {
        name: [{k: _rounded(v) for k, v in row.items()} for row in warehouse.table(name, order_by)]
        for name, order_by in tables.items()
    }


def test_rerunning_a_partition_is_idempotent(scratch: DbtWarehouse) -> None:
    before = snapshot(scratch, INCREMENTAL_TABLES)
    scratch.dbt("run", "--select", INCREMENTAL, dbt_vars=window("2026-11-03", "2026-11-04"))
    assert snapshot(scratch, INCREMENTAL_TABLES) == before


def test_a_partition_window_only_touches_its_days(scratch: DbtWarehouse) -> None:
    # Late corrections land in raw for Nov 3 and Nov 5, and Nov 4 is re-ingested empty.
    scratch.execute("update raw.conversations set outcome = 'abandoned' where conversation_id = 'j2c1'")
    scratch.execute("update raw.conversations set outcome = 'completed' where conversation_id = 'j2c4'")
    for table in ("conversations", "evaluations", "journey_events"):
        scratch.execute(f"delete from raw.{table} where partition_date = '2026-11-04'")

    scratch.dbt("run", "--select", INCREMENTAL, dbt_vars=window("2026-11-03", "2026-11-05"))
    outcomes = {r["conversation_id"]: r["outcome"] for r in scratch.table("staging.stg_conversations", "1")}
    assert outcomes["j2c1"] == "abandoned"  # Nov 3, inside the window: refreshed
    assert outcomes["j2c4"] == "abandoned"  # Nov 5, outside: untouched
    # Nov 4 lost all its rows; delete+insert alone would have kept the old ones.
    for table in INCREMENTAL_TABLES:
        days = {r["partition_date"] for r in scratch.table(table, "1") if "partition_date" in r}
        assert date(2026, 11, 4) not in days, table
        assert date(2026, 11, 3) in days, table

    # The cohort-level marts, rebuilt from the incremental models, follow.
    scratch.dbt("run", "--exclude", INCREMENTAL)
    journeys = {r["journey_id"]: r for r in scratch.table("marts.journeys", "journey_id")}
    assert "J5" not in journeys  # its only conversation was on Nov 4
    assert journeys["J1"]["last_stage_reached"] == "app-install"
    assert journeys["J1"]["csat"] == 2  # the later answer (4) was on Nov 4


def test_day_by_day_backfill_equals_the_full_build(
    fixture_raw: DbtWarehouse, built: DbtWarehouse, tmp_path: Path
) -> None:
    """From empty marts, two partition windows (the first creates the incremental tables) and a
    rebuild of the cohort marts give exactly what one full-history build gives."""
    fresh = fixture_raw.copy(tmp_path)
    fresh.dbt("run", "--select", INCREMENTAL, dbt_vars=window("2026-11-01", "2026-11-06"))
    assert {r["partition_date"] for r in fresh.table("staging.stg_conversations", "1")} == {
        date(2026, 11, d) for d in (2, 3, 4, 5)
    }
    fresh.dbt("run", "--select", INCREMENTAL, dbt_vars=window("2026-11-06", "2027-01-02"))
    fresh.dbt("run", "--exclude", INCREMENTAL)
    tables = {**INCREMENTAL_TABLES, **COHORT_MARTS}
    assert snapshot(fresh, tables) == snapshot(built, tables)


@pytest.mark.parametrize(
    ("model", "dbt_vars", "message"),
    [
        (
            "stg_conversations",
            {"partition_start": "2026-11-03"},
            "partition_start and partition_end go together",
        ),
        (
            "stg_conversations",
            window("2026-11-3", "2026-11-04"),
            "var partition_start=2026-11-3 is not an ISO date",
        ),
        ("stg_conversations", window("2026-11-04", "2026-11-04"), "empty partition window"),
        ("int_signal_window", {"as_of_date": "22/11/2026"}, "var as_of_date=22/11/2026 is not an ISO date"),
    ],
)
def test_a_bad_date_var_is_refused(
    fixture_raw: DbtWarehouse, model: str, dbt_vars: dict, message: str
) -> None:
    result = fixture_raw.dbt("compile", "--select", model, dbt_vars=dbt_vars, expect_success=False)
    assert message in result.stdout


def test_docs_generate(built: DbtWarehouse) -> None:
    built.dbt("docs", "generate")
    catalog = (built.work_dir / "target" / "catalog.json").read_text()
    assert "model.journeys.stage_funnel" in catalog
    manifest = (built.work_dir / "target" / "manifest.json").read_text()
    assert "exposure.journeys.journeys_dashboard" in manifest



def test_unit_tests_pass_whatever_the_partition_window(scratch: DbtWarehouse) -> None:
    """Dagster runs `dbt build` with the partition window as vars, and `build` runs the unit
    tests under those vars too: a unit test whose rows were dated outside the window saw them
    filtered out and failed every range that missed its date."""
    result = scratch.dbt("build", "--select", INCREMENTAL, dbt_vars=window("2027-03-01", "2027-03-02"))
    assert "daily_eval_fail_rate_is_a_share_of_all_conversations" in result.stdout  # it ran
