"""The `local` engine: deterministic, offline scorers over one `ConversationAnalysis`."""

from __future__ import annotations

from collections.abc import Iterable

from evals.analysis import ConversationAnalysis
from evals.local.quality import score_quality
from evals.local.resolution import score_resolution
from evals.local.retention import score_retention
from evals.local.signals import read
from evals.local.verdict import LOCAL_VERSION, NO_REQUEST, LocalVerdict, not_applicable

__all__ = ["LOCAL_VERSION", "LocalVerdict", "local_verdicts"]

_RESOLUTION = "conversation_resolution"
_RETENTION = "customer_agent_context_retention"
_QUALITY = "customer_agent_conversation_quality"


def _not_applicable(a: ConversationAnalysis, what: str) -> LocalVerdict | None:
    """Why resolution or quality cannot judge this conversation, or None when they can."""
    if not a.customer_turns or not a.agent_turns:
        return not_applicable(f"Too short to judge: {what} needs at least one customer and one agent turn.")
    if not a.has_request:
        return not_applicable(NO_REQUEST)
    return None


def local_verdicts(names: Iterable[str], analysis: ConversationAnalysis) -> dict[str, LocalVerdict]:
    """The local verdicts for the named evaluators. Resolution and quality share one reading of
    the conversation, and quality reads the resolution and retention verdicts, so each is
    computed once."""
    wanted = list(names)
    verdicts: dict[str, LocalVerdict] = {}
    learned = _RESOLUTION in wanted or _QUALITY in wanted
    reading = read(analysis) if learned and _not_applicable(analysis, "resolution") is None else None
    if learned:
        verdicts[_RESOLUTION] = (
            score_resolution(analysis, reading) if reading else _not_applicable(analysis, "resolution")  # type: ignore[assignment]
        )
    if _RETENTION in wanted or _QUALITY in wanted:
        verdicts[_RETENTION] = score_retention(analysis)
    if _QUALITY in wanted:
        verdicts[_QUALITY] = (
            score_quality(analysis, reading, verdicts[_RESOLUTION], verdicts[_RETENTION])
            if reading
            else _not_applicable(analysis, "quality")  # type: ignore[assignment]
        )
    return {name: verdicts[name] for name in wanted}
