"""Local CustomerAgentConversationQuality: how well the agent handled the conversation, 1-5.

A ridge regression fitted on customer-satisfaction ratings (STC-3's S, -2..2; weights in
`weights/quality.json`) weighs the same signals as resolution (`evals.local.signals`: the
outcome, how the customer's closing turn reads, unanswered questions, deflection, apologies
without action, escalation, re-asks, the customer restating the problem) into an expected
satisfaction S, and the rating is 3 + S, kept within 1-5. The 1-5 rating maps to a score as
(rating - 1) / 4, as the LLM rubric does. The reason names the signals that moved the rating
most and quotes their turns.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis
from evals.local.explain import explain
from evals.local.model import shipped_model
from evals.local.outcome import read_outcome
from evals.local.signals import read_signals
from evals.local.verdict import NO_REQUEST, LocalVerdict, completed, not_applicable

# The rating of a conversation of average satisfaction (S = 0), the middle of the 1-5 scale.
NEUTRAL_RATING = 3.0
MIN_RATING, MAX_RATING = 1.0, 5.0
# A rating this far from neutral is a clear verdict; nearer, the hybrid engine may ask the judge.
_CLEAR_DISTANCE = 1.0
_CLEAR, _UNSURE = 0.7, 0.4


def rating_to_score(rating: float) -> float:
    return (rating - MIN_RATING) / (MAX_RATING - MIN_RATING)


def score_quality(a: ConversationAnalysis, resolution: LocalVerdict, retention: LocalVerdict) -> LocalVerdict:
    if not a.customer_turns or not a.agent_turns:
        return not_applicable("Too short to judge: quality needs at least one customer and one agent turn.")
    if not a.has_request:
        return not_applicable(NO_REQUEST)
    model = shipped_model("quality")
    signals = read_signals(a, read_outcome(a))
    rating = min(MAX_RATING, max(MIN_RATING, NEUTRAL_RATING + model.predict(signals.values)))
    why = explain(model, signals, a, 1.0 if rating >= NEUTRAL_RATING else -1.0)
    reason = f"Quality {rating:.1f}/5"
    reason += (": " + "; ".join(why.phrases) + ".") if why.phrases else ": nothing stood out."
    if why.outcome_named and resolution.score is not None:
        reason += f" Outcome: {resolution.reason}"
    evidence = list(why.evidence)
    if "reask" in signals.turns or signals.value("reask") > 0:
        evidence += [e for e in retention.evidence if e.note.startswith(("re-ask", "possible"))][:2]
    confidence = _CLEAR if abs(rating - NEUTRAL_RATING) >= _CLEAR_DISTANCE else _UNSURE
    return completed(rating_to_score(rating), reason, evidence, confidence)
