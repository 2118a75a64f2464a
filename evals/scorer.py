"""Run the evaluators on a conversation with one engine, and keep count of what it cost."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Self

from evals import registry
from evals.analysis import ContextLike, analyse, read_context
from evals.hybrid import hybrid_results
from evals.llm import JudgeConfig, LLMJudge
from evals.local.engine import local_verdicts
from evals.types import ConversationLike, EngineStats, EvalResult, normalize_conversation

ENGINES: tuple[str, ...] = ("local", "llm", "hybrid")
DEFAULT_THRESHOLD = 0.5

EvaluatorNames = str | Sequence[str] | None
Thresholds = float | Mapping[str, float] | None


def resolve_names(evaluators: EvaluatorNames) -> tuple[str, ...]:
    """Validate evaluator names; None means every registered one, in the canonical order."""
    known = registry.names()
    if evaluators is None:
        return known
    names = (evaluators,) if isinstance(evaluators, str) else tuple(evaluators)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown evaluator(s) {unknown or names!r}; known: {', '.join(known)}")
    return tuple(dict.fromkeys(names))


def resolve_thresholds(thresholds: Thresholds) -> dict[str, float]:
    if thresholds is None or isinstance(thresholds, (int, float)):
        value = DEFAULT_THRESHOLD if thresholds is None else float(thresholds)
        resolved = {name: value for name in registry.names()}
    else:
        resolve_names(list(thresholds))
        resolved = {name: float(thresholds.get(name, DEFAULT_THRESHOLD)) for name in registry.names()}
    bad = {n: v for n, v in resolved.items() if not 0.0 <= v <= 1.0}
    if bad:
        raise ValueError(f"thresholds must be in [0, 1], got {bad}")
    return resolved


class Scorer:
    """Scores conversations with the `local`, `llm` or `hybrid` engine.

    `judge` is a `JudgeConfig` (a judge is created and owned, closed by `close()`), a shared
    `LLMJudge`, or None (read from the environment when the engine needs one). Thread-safe, so
    a batch can score with several workers."""

    def __init__(
        self,
        engine: str = "local",
        *,
        judge: JudgeConfig | LLMJudge | None = None,
        thresholds: Thresholds = None,
    ):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.engine = engine
        self.thresholds = resolve_thresholds(thresholds)
        self._owns_judge = not isinstance(judge, LLMJudge)
        self.judge: LLMJudge | None = None
        if engine != "local":
            self.judge = judge if isinstance(judge, LLMJudge) else LLMJudge(judge or JudgeConfig.from_env())
        self._lock = threading.Lock()
        self._evaluated = 0
        self._judged = 0

    @property
    def stats(self) -> EngineStats:
        """Results produced, results the judge decided, and the judge's calls, hits and tokens."""
        stats = EngineStats()
        if self.judge is not None:
            stats.merge(self.judge.stats)
        stats.evaluated, stats.judged = self._evaluated, self._judged
        return stats

    def score(
        self, evaluators: EvaluatorNames, conversation: ConversationLike, context: ContextLike = None
    ) -> dict[str, EvalResult]:
        """Results keyed by evaluator name. Raises `TranscriptError` for an unreadable input."""
        names = resolve_names(evaluators)
        turns = normalize_conversation(conversation)
        judged = 0
        if self.engine == "llm":
            assert self.judge is not None
            read_context(context)  # reject malformed context here, not as a judge failure
            results = {n: self.judge.judge(n, turns, context, threshold=self.thresholds[n]) for n in names}
            judged = len(names)
        else:
            started = time.perf_counter()
            verdicts = local_verdicts(names, analyse(turns, context))
            latency_ms = (time.perf_counter() - started) * 1000
            if self.engine == "local":
                results = {
                    n: v.to_result(n, engine="local", latency_ms=latency_ms, threshold=self.thresholds[n])
                    for n, v in verdicts.items()
                }
            else:
                assert self.judge is not None
                results, judged = hybrid_results(
                    verdicts, turns, context, self.judge, self.thresholds, latency_ms
                )
        with self._lock:
            self._evaluated += len(names)
            self._judged += judged
        return results

    def close(self) -> None:
        if self.judge is not None and self._owns_judge:
            self.judge.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
