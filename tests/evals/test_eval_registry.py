"""One registry names the evaluators: a fourth one, registered here and nowhere else, is
scored by the local engine, judged under its own rubric, found in the marts' columns by the
app and pivoted by the generated dbt macro."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_server import JudgeServer, Reply, verdict

from app.queries import evaluator_prefixes
from evals import JudgeConfig, Scorer, evaluate, registry
from evals.local.inputs import LocalInputs
from evals.local.verdict import LocalVerdict, completed
from evals.registry import EvaluatorSpec
from orchestration.dbt_evaluators import MACRO_PATH, render_macro

FOURTH = "customer_agent_empathy"
CONVERSATION = "Customer: Please reset my password.\nAgent: Done, a reset link has been sent to your email.\nCustomer: Thanks!"
EARLIER = "Customer: My account number is 12345.\nAgent: Noted."


def _empathy(inputs: LocalInputs, retention: LocalVerdict) -> LocalVerdict:
    """A fake scorer that reads another evaluator's verdict, as quality does."""
    turns = inputs.analysis.agent_turns
    return completed(0.25 * turns, f"agent turns {turns}; retention {retention.status}", [], 1.0)


@pytest.fixture
def fourth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> EvaluatorSpec:
    (tmp_path / "empathy.v1.md").write_text("Rate the agent's empathy from 1 to 3.", encoding="utf-8")
    spec = EvaluatorSpec(
        FOURTH,
        "empathy",
        "Empathy",
        "empathy.v1",
        (1.0, 2.0, 3.0),
        _empathy,
        needs=(registry.RETENTION,),
        reads_context=True,
        rubric_home=tmp_path,
    )
    monkeypatch.setitem(registry.EVALUATORS, FOURTH, spec)
    return spec


def test_the_scorer_runs_a_registered_fourth_evaluator_after_what_it_needs(fourth: EvaluatorSpec) -> None:
    with Scorer("local") as scorer:
        results = scorer.score(None, CONVERSATION)
    assert list(results) == [*registry.EVALUATOR_NAMES, FOURTH]
    assert results[FOURTH].score == 0.25 and results[FOURTH].reason == "agent turns 1; retention completed"
    assert results[FOURTH].passed is False  # the default threshold, 0.5, applies to it too


def test_the_judge_grades_a_fourth_evaluator_under_its_own_rubric_and_scale(
    fourth: EvaluatorSpec, judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.script = [Reply(verdict=verdict(3.0, reason="Warm."))]
    result = evaluate(FOURTH, conversation=CONVERSATION, input=[EARLIER], engine="llm", judge=judge_config)
    assert (result.status, result.score, result.rubric_version) == ("completed", 1.0, "empathy.v1")
    system, user = (m["content"] for m in judge_server.requests[0]["messages"])
    assert system.startswith("Rate the agent's empathy from 1 to 3.") and "1, 2, 3" in system
    assert user.startswith("EARLIER CONTEXT") and "12345" in user  # reads_context shows it the earlier stage


def test_the_app_finds_a_fourth_evaluators_columns(fourth: EvaluatorSpec) -> None:
    found = evaluator_prefixes(frozenset({"resolution_score", "empathy_score", "quality_passed"}))
    assert {ev.name: prefix for ev, prefix in found.items()} == {
        registry.RESOLUTION: "resolution",
        FOURTH: "empathy",
    }


def test_the_dbt_macro_pivots_a_fourth_evaluator_once_regenerated(fourth: EvaluatorSpec) -> None:
    assert "'empathy': 'customer_agent_empathy'," in render_macro()
    assert "empathy" not in MACRO_PATH.read_text(encoding="utf-8")


def test_an_unknown_evaluator_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="unknown evaluator"):
        evaluate("customer_agent_empathy", conversation=CONVERSATION)
