"""The `local` engine: deterministic, offline scorers over one `ConversationAnalysis`, each
found in the evaluator registry."""

from __future__ import annotations

from collections.abc import Iterable

from evals import registry
from evals.analysis import ConversationAnalysis
from evals.local.inputs import LocalInputs
from evals.local.verdict import LocalVerdict


def local_verdicts(names: Iterable[str], analysis: ConversationAnalysis) -> dict[str, LocalVerdict]:
    """The local verdicts for the named evaluators. A scorer that reads other evaluators'
    verdicts (`EvaluatorSpec.needs`, e.g. quality reads resolution and retention) gets them
    computed first; each verdict, and the shared reading, is computed once."""
    wanted = list(names)
    inputs = LocalInputs(analysis)
    verdicts: dict[str, LocalVerdict] = {}

    def compute(name: str) -> LocalVerdict:
        if name not in verdicts:
            spec = registry.spec(name)
            verdicts[name] = spec.local(inputs, *(compute(need) for need in spec.needs))
        return verdicts[name]

    return {name: compute(name) for name in wanted}
