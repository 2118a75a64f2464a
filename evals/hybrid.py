"""The `hybrid` engine: the local verdict where it is clear, the LLM judge where it is not.

A local verdict goes to the judge when it is completed with a confidence below the configured
cutoff (`JudgeConfig.hybrid_confidence`): typically a conversation with no explicit outcome
notice, or re-ask evidence that is only circumstantial. `not_applicable` verdicts stay local
(there is nothing for the judge to add to "too short"). If the judge call fails, the local
verdict is kept, its reason says so and it stays `decided_by="local"`: it is not counted as
judged, and the failure is counted in the judge's statistics, so an outage cannot pass for
judged results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from evals.analysis import ContextLike
from evals.llm import LLMJudge
from evals.local import LocalVerdict
from evals.types import COMPLETED, EvalResult, Turn

ENGINE = "hybrid"


def needs_judge(verdict: LocalVerdict, cutoff: float) -> bool:
    return verdict.status == COMPLETED and verdict.confidence < cutoff


def hybrid_results(
    verdicts: Mapping[str, LocalVerdict],
    turns: tuple[Turn, ...],
    context: ContextLike,
    judge: LLMJudge,
    thresholds: Mapping[str, float],
    local_latency_ms: float,
) -> tuple[dict[str, EvalResult], int]:
    """Results per evaluator, and how many of them the judge decided (failed calls excluded)."""
    results: dict[str, EvalResult] = {}
    judged = 0
    for name, verdict in verdicts.items():
        threshold = thresholds[name]
        if not needs_judge(verdict, judge.config.hybrid_confidence):
            results[name] = verdict.to_result(
                name, engine=ENGINE, latency_ms=local_latency_ms, threshold=threshold
            )
            continue
        verdict_of_judge = judge.judge(name, turns, context, threshold=threshold)
        if verdict_of_judge.status == "failed":
            results[name] = verdict.to_result(
                name,
                engine=ENGINE,
                latency_ms=local_latency_ms + verdict_of_judge.latency_ms,
                threshold=threshold,
                reason_suffix=f" (LLM judge unavailable, local verdict kept: {verdict_of_judge.reason})",
            )
        else:
            judged += 1
            results[name] = _as_hybrid(verdict_of_judge, local_latency_ms)
    return results, judged


def _as_hybrid(result: EvalResult, local_latency_ms: float) -> EvalResult:
    return replace(result, engine=ENGINE, latency_ms=result.latency_ms + local_latency_ms)
