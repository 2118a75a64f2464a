"""Every mart of a pinned simulation, materialized through Dagster, equals its committed
fingerprint (tests/orchestration/mart_fingerprints.json: per mart the row count and a hash of
its sorted rows, floats rounded to 9 digits, wall-clock columns left out).

A refactoring of the dbt project or of the pipeline (a mart split into intermediate models, its
sentences moved into macros) must leave every mart identical, and this test says so. A change
that is meant to alter the marts legitimately changes the fingerprints: a new or corrected mart
column or definition, a change to the simulator, and any change to an evaluator (its scores and
verdicts feed the marts). Regenerate them with

    JOURNEYS_UPDATE_FINGERPRINTS=1 .venv/bin/python -m pytest tests/orchestration/test_mart_fingerprints.py

and commit mart_fingerprints.json with the change that explains it.
"""

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from mart_fingerprints import fingerprints, mart_rows

from orchestration.cli import main
from orchestration.simulate import simulate

FINGERPRINTS = Path(__file__).with_name("mart_fingerprints.json")
# The pinned simulation: enough traffic in one cohort week for routing signals and friction cells.
SIMULATION = {"start": "2026-11-02", "days": 3, "journeys": 120, "seed": 31}
# Marts the pinned simulation must fill, or the fingerprints would not cover them.
MUST_HAVE_ROWS = ("stage_funnel", "journeys", "routing_signals", "friction_ranking", "journey_guard")

pytestmark = pytest.mark.slow


def test_marts_equal_their_committed_fingerprints(platform_env, monkeypatch):
    # dbt's unit tests check the models' logic on fixed rows (tests/dbt); here they would only
    # lengthen the builds.
    monkeypatch.setenv("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")
    start = date.fromisoformat(SIMULATION["start"])
    end = start + timedelta(days=SIMULATION["days"] - 1)
    simulate(
        platform_env / "landing",
        journeys=SIMULATION["journeys"],
        start=start,
        days=SIMULATION["days"],
        seed=SIMULATION["seed"],
    )
    result = CliRunner().invoke(main, ["materialize", "--start", start.isoformat(), "--end", end.isoformat()])
    assert result.exit_code == 0, result.output
    got = fingerprints(mart_rows(platform_env / "warehouse.duckdb"))
    assert all(got.get(mart, {}).get("rows") for mart in MUST_HAVE_ROWS), got

    if os.environ.get("JOURNEYS_UPDATE_FINGERPRINTS") == "1":
        FINGERPRINTS.write_text(json.dumps({"simulation": SIMULATION, "marts": got}, indent=2) + "\n")
    committed = json.loads(FINGERPRINTS.read_text())
    assert committed["simulation"] == SIMULATION, "the fingerprints were made from another simulation"
    differ = sorted(
        mart
        for mart in committed["marts"].keys() | got.keys()
        if committed["marts"].get(mart) != got.get(mart)
    )
    assert not differ, (
        f"marts differ from their fingerprints: {', '.join(differ)}. If the change is meant to alter "
        "them, regenerate: JOURNEYS_UPDATE_FINGERPRINTS=1 pytest tests/orchestration/test_mart_fingerprints.py"
    )
