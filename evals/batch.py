"""Score many conversations: in order, with bounded concurrency when an LLM judge is involved,
and with one bad transcript reported as a `failed` result instead of stopping the batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from evals.analysis import ContextLike
from evals.llm import JudgeConfig, LLMJudge
from evals.scorer import EvaluatorNames, Scorer, Thresholds, resolve_names
from evals.types import FAILED, ConversationLike, EngineStats, EvalResult, TranscriptError, make_result


@dataclass(frozen=True)
class BatchItem:
    conversation: ConversationLike
    input: ContextLike = None
    id: str | None = None


@dataclass
class BatchResult:
    results: list[dict[str, EvalResult]]  # one mapping per item, in input order
    stats: EngineStats


def _as_item(raw: BatchItem | Mapping[str, Any] | ConversationLike) -> BatchItem:
    if isinstance(raw, BatchItem):
        return raw
    if isinstance(raw, Mapping):
        if "conversation" not in raw and "output" not in raw:
            raise TranscriptError("a batch item mapping needs a 'conversation' (or 'output') key")
        return BatchItem(raw.get("conversation", raw.get("output")), raw.get("input"), raw.get("id"))
    return BatchItem(raw)


def _score_item(scorer: Scorer, names: tuple[str, ...], raw: Any) -> dict[str, EvalResult]:
    try:
        item = _as_item(raw)
        return scorer.score(names, item.conversation, item.input)
    except TranscriptError as exc:
        return {
            n: make_result(
                n,
                score=None,
                status=FAILED,
                reason=f"Invalid transcript: {exc}",
                engine=scorer.engine,
                rubric_version="-",
                latency_ms=0.0,
                threshold=scorer.thresholds[n],
            )
            for n in names
        }


def evaluate_batch(
    items: Iterable[BatchItem | Mapping[str, Any] | ConversationLike],
    evaluators: EvaluatorNames = None,
    *,
    engine: str = "local",
    judge: JudgeConfig | LLMJudge | None = None,
    threshold: Thresholds = None,
    progress: bool = False,
) -> BatchResult:
    """Score every item (a `BatchItem`, a mapping with `conversation` and optional `input`/`id`,
    or a bare transcript) with the named evaluators (default: all three)."""
    names = resolve_names(evaluators)
    work = list(items)
    with Scorer(engine, judge=judge, thresholds=threshold) as scorer:
        bar = tqdm(total=len(work), desc=f"evaluating ({engine})", unit="conv", disable=not progress)
        if scorer.judge is None:
            results = []
            for raw in work:
                results.append(_score_item(scorer, names, raw))
                bar.update()
        else:
            # The pool size is the bound on concurrent judge calls.
            with ThreadPoolExecutor(max_workers=scorer.judge.config.concurrency) as pool:
                results = []
                for result in pool.map(lambda raw: _score_item(scorer, names, raw), work):
                    results.append(result)
                    bar.update()
        bar.close()
        return BatchResult(results, scorer.stats)
