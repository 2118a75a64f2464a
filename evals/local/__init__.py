"""The `local` engine: deterministic, offline scorers over one `ConversationAnalysis`."""

from __future__ import annotations

from collections.abc import Iterable

from evals.analysis import ConversationAnalysis
from evals.local.quality import score_quality
from evals.local.resolution import score_resolution
from evals.local.retention import score_retention
from evals.local.verdict import LOCAL_VERSION, LocalVerdict

__all__ = ["LOCAL_VERSION", "LocalVerdict", "local_verdicts"]


def local_verdicts(names: Iterable[str], analysis: ConversationAnalysis) -> dict[str, LocalVerdict]:
    """The local verdicts for the named evaluators. Quality reads the resolution and retention
    verdicts, so those are computed once and shared."""
    wanted = list(names)
    verdicts: dict[str, LocalVerdict] = {}
    if "conversation_resolution" in wanted or "customer_agent_conversation_quality" in wanted:
        verdicts["conversation_resolution"] = score_resolution(analysis)
    if "customer_agent_context_retention" in wanted or "customer_agent_conversation_quality" in wanted:
        verdicts["customer_agent_context_retention"] = score_retention(analysis)
    if "customer_agent_conversation_quality" in wanted:
        verdicts["customer_agent_conversation_quality"] = score_quality(
            analysis, verdicts["conversation_resolution"], verdicts["customer_agent_context_retention"]
        )
    return {name: verdicts[name] for name in wanted}
