"""dbt's evaluator macro is generated from `evals.registry`; the checked-in copy must match it,
so a plain `dbt build` pivots the same evaluators the pipeline scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import dbt_evaluators


def test_the_checked_in_macro_matches_the_registry() -> None:
    assert dbt_evaluators.main(["--check"]) == 0, "run `python -m orchestration.dbt_evaluators`"


def test_a_stale_macro_is_reported_then_rewritten(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "evaluators.sql"
    stale.write_text("{% macro evaluators() %}{{ return({}) }}{% endmacro %}\n", encoding="utf-8")
    monkeypatch.setattr(dbt_evaluators, "MACRO_PATH", stale)
    assert dbt_evaluators.main(["--check"]) == 1
    assert dbt_evaluators.main([]) == 0
    assert stale.read_text(encoding="utf-8") == dbt_evaluators.render_macro()
    assert dbt_evaluators.main(["--check"]) == 0
