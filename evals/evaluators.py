"""The public evaluator API: one class per evaluator, and `evaluate(...)` by name."""

from __future__ import annotations

from typing import ClassVar, overload

from evals import registry
from evals.analysis import ContextLike
from evals.llm import JudgeConfig, LLMJudge
from evals.scorer import DEFAULT_THRESHOLD, Scorer, Thresholds
from evals.types import ConversationLike, EvalResult


def _pick_conversation(
    output: ConversationLike | None, conversation: ConversationLike | None
) -> ConversationLike:
    if output is not None and conversation is not None:
        raise TypeError("pass the transcript as `output` or as `conversation`, not both")
    chosen = output if output is not None else conversation
    if chosen is None:
        raise TypeError("missing the transcript: pass `output=` (or `conversation=`)")
    return chosen


class Evaluator:
    """Base class. `threshold` sets `passed`; `engine` is local (default), llm or hybrid;
    `judge` configures the LLM judge (default: from the environment)."""

    name: ClassVar[str]

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        engine: str = "local",
        judge: JudgeConfig | LLMJudge | None = None,
    ):
        self._scorer = Scorer(engine, judge=judge, thresholds={self.name: threshold})

    @property
    def engine(self) -> str:
        return self._scorer.engine

    def evaluate(
        self,
        input: ContextLike = None,
        output: ConversationLike | None = None,
        *,
        conversation: ConversationLike | None = None,
    ) -> EvalResult:
        """Score one conversation. `output` (or `conversation`) is the transcript; `input` is the
        earlier context (previous stage transcripts or a list of facts), used by retention."""
        return self._scorer.score(self.name, _pick_conversation(output, conversation), input)[self.name]

    def close(self) -> None:
        self._scorer.close()


class ConversationResolution(Evaluator):
    """Did the customer get what they came for in this conversation?"""

    name = registry.RESOLUTION


class CustomerAgentConversationQuality(Evaluator):
    """How well did the agent handle the conversation (a 1-5 rating mapped to [0, 1])?"""

    name = registry.QUALITY


class CustomerAgentContextRetention(Evaluator):
    """Did the agent keep what the customer already said, here and in earlier stages?"""

    name = registry.RETENTION


@overload
def evaluate(
    evaluators: str, conversation: ConversationLike | None = ..., **kwargs: object
) -> EvalResult: ...
@overload
def evaluate(
    evaluators: list[str] | tuple[str, ...], conversation: ConversationLike | None = ..., **kwargs: object
) -> dict[str, EvalResult]: ...


def evaluate(
    evaluators: str | list[str] | tuple[str, ...],
    conversation: ConversationLike | None = None,
    *,
    input: ContextLike = None,
    output: ConversationLike | None = None,
    engine: str = "local",
    judge: JudgeConfig | LLMJudge | None = None,
    threshold: Thresholds = None,
) -> EvalResult | dict[str, EvalResult]:
    """Score one conversation with one evaluator (returns its result) or several (returns
    results keyed by name). For many conversations use `evaluate_batch`."""
    with Scorer(engine, judge=judge, thresholds=threshold) as scorer:
        results = scorer.score(evaluators, _pick_conversation(output, conversation), input)
    return results[evaluators] if isinstance(evaluators, str) else results
