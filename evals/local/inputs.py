"""What every local scorer reads: one analysed conversation, and the learned models' reading
of it, made at most once however many scorers ask for it."""

from __future__ import annotations

from functools import cached_property

from evals.analysis import ConversationAnalysis
from evals.local.signals import Reading, read
from evals.local.verdict import NO_REQUEST, LocalVerdict, not_applicable


class LocalInputs:
    def __init__(self, analysis: ConversationAnalysis):
        self.analysis = analysis

    def _unjudgeable(self, what: str) -> str | None:
        a = self.analysis
        if not a.customer_turns or not a.agent_turns:
            return f"Too short to judge: {what} needs at least one customer and one agent turn."
        if not a.has_request:
            return NO_REQUEST
        return None

    @cached_property
    def reading(self) -> Reading | None:
        """The reading the learned scorers share; None when the conversation has no request or
        lacks a side (`not_judgeable` then says why)."""
        return read(self.analysis) if self._unjudgeable("") is None else None

    def not_judgeable(self, what: str) -> LocalVerdict:
        """The not-applicable verdict for `what` (e.g. "resolution") when `reading` is None."""
        reason = self._unjudgeable(what)
        assert reason is not None, "the conversation is judgeable"
        return not_applicable(reason)
