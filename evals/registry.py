"""The evaluator registry: the one place that names each evaluator and says what goes with
the name (the column prefix the marts use, the app's label, the LLM rubric and its scale, the
local scorer). Everything else reads it at call time, including dbt, through the macro
`orchestration/dbt_evaluators.py` generates from it.

Adding an evaluator: write its local scorer (a module under `evals/local/`) and its rubric
(`evals/rubrics/<stem>.md`), add an `EvaluatorSpec` here, give it thresholds in the journey map,
and regenerate the dbt macro (`python -m orchestration.dbt_evaluators`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from evals.local.quality import local_quality
from evals.local.resolution import local_resolution
from evals.local.retention import local_retention
from evals.local.verdict import LocalVerdict

# A local scorer gets the shared inputs, then the verdicts of the evaluators it `needs`, in order.
LocalScorer = Callable[..., LocalVerdict]

RESOLUTION = "conversation_resolution"
QUALITY = "customer_agent_conversation_quality"
RETENTION = "customer_agent_context_retention"


@dataclass(frozen=True)
class EvaluatorSpec:
    name: str  # as in raw.evaluations.evaluator and the public API
    prefix: str  # the marts' column prefix: <prefix>_score, <prefix>_passed, ...
    label: str  # how the app titles it
    rubric: str  # the rubric's file stem, <rubric>.md: the version recorded with each LLM score
    scale: tuple[float, ...]  # the raw scores the rubric allows, low to high
    local: LocalScorer
    needs: tuple[str, ...] = ()  # evaluators whose local verdicts `local` reads
    reads_context: bool = False  # whether the judge is shown the journey's earlier context
    rubric_home: Traversable | None = None  # where the rubric file is; None: evals/rubrics


# The canonical order: results, marts columns and app tables follow it.
EVALUATORS: dict[str, EvaluatorSpec] = {
    s.name: s
    for s in (
        EvaluatorSpec(
            RESOLUTION, "resolution", "Resolution", "resolution.v2", (0.0, 0.5, 1.0), local_resolution
        ),
        EvaluatorSpec(
            QUALITY,
            "quality",
            "Quality",
            "quality.v2",
            (1.0, 2.0, 3.0, 4.0, 5.0),
            local_quality,
            needs=(RESOLUTION, RETENTION),
        ),
        EvaluatorSpec(
            RETENTION,
            "context_retention",
            "Context retention",
            "retention.v2",
            (0.0, 0.5, 1.0),
            local_retention,
            reads_context=True,
        ),
    )
}

# The built-in evaluators' names, for callers that want the list as a constant.
EVALUATOR_NAMES: tuple[str, ...] = tuple(EVALUATORS)


def names() -> tuple[str, ...]:
    """Every registered evaluator's name, in the canonical order."""
    return tuple(EVALUATORS)


def specs() -> tuple[EvaluatorSpec, ...]:
    return tuple(EVALUATORS.values())


def spec(name: str) -> EvaluatorSpec:
    try:
        return EVALUATORS[name]
    except KeyError:
        raise KeyError(f"unknown evaluator {name!r}; known: {', '.join(EVALUATORS)}") from None
