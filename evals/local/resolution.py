"""Local ConversationResolution: did the customer get what they came for in this conversation?

Two readings are combined. The rule reading (`evals.local.outcome`) follows the agent's outcome
notices (completed, failed, recovered, handed over). The closing reading looks at how the
conversation ended: the customer's closing turn (sentiment, thanks, "it works", "still not",
a question), unanswered questions, deflection to another channel, apologies without action,
escalation, the customer restating the problem. A logistic regression fitted on the
development sets (`evals.local.model`, weights in `weights/resolution.json`) weighs the
signals into the probability that the request was resolved; the reason names the signals that
decided it and quotes their turns.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis
from evals.local.explain import explain
from evals.local.model import shipped_model
from evals.local.outcome import read_outcome
from evals.local.signals import read_signals
from evals.local.verdict import NO_REQUEST, LocalVerdict, completed, not_applicable

PASS_MARK = 0.5
# The model's probability this far from the pass mark is a clear verdict; nearer, the hybrid
# engine may ask the LLM judge.
_CLEAR_MARGIN = 0.3
_CLEAR, _UNSURE = 0.85, 0.5


def _headline(score: float) -> str:
    if score >= PASS_MARK + _CLEAR_MARGIN:
        return "Resolved"
    if score >= PASS_MARK:
        return "Probably resolved"
    return "Not resolved" if score <= PASS_MARK - _CLEAR_MARGIN else "Probably not resolved"


def score_resolution(a: ConversationAnalysis) -> LocalVerdict:
    if not a.customer_turns or not a.agent_turns:
        return not_applicable("Too short to judge: resolution needs at least one customer and one agent turn.")
    if not a.has_request:
        return not_applicable(NO_REQUEST)
    outcome = read_outcome(a)
    model = shipped_model("resolution")
    signals = read_signals(a, outcome)
    score = model.predict(signals.values)
    why = explain(model, signals, a, 1.0 if score >= PASS_MARK else -1.0)
    reason = f"{_headline(score)} ({score:.2f})"
    if why.phrases:
        reason += ": " + "; ".join(why.phrases)
    reason += "." + (f" Outcome notices: {outcome.reason}" if why.outcome_named or not why.phrases else "")
    evidence = list(why.evidence) + [e for e in outcome.evidence if e not in why.evidence]
    confidence = _CLEAR if abs(score - PASS_MARK) >= _CLEAR_MARGIN else _UNSURE
    return completed(score, reason, evidence, confidence)
