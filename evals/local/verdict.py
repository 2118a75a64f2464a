"""What a local scorer returns."""

from __future__ import annotations

from dataclasses import dataclass

from evals.types import COMPLETED, NOT_APPLICABLE, EvalResult, Evidence, Status, make_result

# Bump when a scorer's logic or weights change, so stored scores say which version made them.
LOCAL_VERSION = "local-4"


@dataclass(frozen=True)
class LocalVerdict:
    """A local scorer's answer. `confidence` in [0, 1] says how clear the signals were; the
    hybrid engine sends low-confidence verdicts to the LLM judge."""

    status: Status
    score: float | None
    reason: str
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 1.0

    def to_result(
        self, eval_name: str, *, engine: str, latency_ms: float, threshold: float, reason_suffix: str = ""
    ) -> EvalResult:
        return make_result(
            eval_name,
            score=self.score,
            reason=self.reason + reason_suffix,
            status=self.status,
            evidence=self.evidence,
            engine=engine,
            rubric_version=LOCAL_VERSION,
            latency_ms=latency_ms,
            threshold=threshold,
        )


NO_REQUEST = "Nothing to judge: the customer made no request (only greetings or thanks) and the agent reported no outcome."


def not_applicable(reason: str) -> LocalVerdict:
    return LocalVerdict(NOT_APPLICABLE, None, reason, (), 1.0)


def completed(score: float, reason: str, evidence: list[Evidence], confidence: float) -> LocalVerdict:
    return LocalVerdict(COMPLETED, min(1.0, max(0.0, score)), reason, tuple(evidence), confidence)
