"""Local CustomerAgentConversationQuality: how well the agent handled the conversation, 1-5.

A ridge regression fitted on customer-satisfaction ratings (STC-3's S, -2..2; weights in
`weights/quality.json`) weighs the same signals as resolution (`evals.local.signals`: the
outcome, the agent's conduct - re-asks, loops, bare failures -, how the customer's closing turn
reads, unanswered questions, deflection, apologies without action, escalation, the customer
restating the problem) into an expected satisfaction S, and the rating is 3 + S, kept within
1-5. The 1-5 rating maps to a score as (rating - 1) / 4, as the LLM rubric does. The reason
names the signals that moved the rating most, the conduct problems found, and quotes turns.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis
from evals.local.explain import explain
from evals.local.inputs import LocalInputs
from evals.local.model import shipped_model
from evals.local.resolution import PASS_MARK
from evals.local.signals import Reading
from evals.local.verdict import LocalVerdict, completed

# The rating of a conversation of average satisfaction (S = 0), the middle of the 1-5 scale.
NEUTRAL_RATING = 3.0
MIN_RATING, MAX_RATING = 1.0, 5.0
# A rating this far from neutral is a clear verdict; nearer, the hybrid engine may ask the judge.
_CLEAR_DISTANCE = 1.0
# The confidence of a clear verdict and of an unsure one. Hand-set, as resolution's: what matters
# is that a JOURNEYS_HYBRID_CONFIDENCE between them sends only the unsure verdicts to the judge.
_CLEAR, _UNSURE = 0.7, 0.4
_PROBLEMS_NAMED = 3
RESOLVED_PHRASE = "the request was not resolved"


def rating_to_score(rating: float) -> float:
    return (rating - MIN_RATING) / (MAX_RATING - MIN_RATING)


def score_quality(
    a: ConversationAnalysis, reading: Reading, resolution: LocalVerdict, retention: LocalVerdict
) -> LocalVerdict:
    """The verdict on a conversation that has a request and both sides speaking."""
    model = shipped_model("quality")
    resolved = resolution.score if resolution.score is not None else PASS_MARK
    values = reading.signals.select(model.features, resolved)
    rating = min(MAX_RATING, max(MIN_RATING, NEUTRAL_RATING + model.predict(values)))
    why = explain(model, values, reading.signals, a, 1.0 if rating >= NEUTRAL_RATING else -1.0)
    reason = f"Quality {rating:.1f}/5: " + ("; ".join(why.phrases) if why.phrases else "nothing stood out")
    problems = reading.conduct.problems[:_PROBLEMS_NAMED]
    reason += f" (conduct: {'; '.join(problems)})." if problems else "."
    if resolution.score is not None and resolution.score < PASS_MARK and RESOLVED_PHRASE not in reason:
        reason += f" The request was not resolved ({resolution.score:.2f})."
    evidence = list(why.evidence) + list(reading.conduct.evidence)
    if any(r for r in a.reasks):
        evidence += [e for e in retention.evidence if e.note.startswith(("re-ask", "possible"))][:2]
    confidence = _CLEAR if abs(rating - NEUTRAL_RATING) >= _CLEAR_DISTANCE else _UNSURE
    return completed(rating_to_score(rating), reason, evidence, confidence)


def local_quality(inputs: LocalInputs, resolution: LocalVerdict, retention: LocalVerdict) -> LocalVerdict:
    """The registry's local scorer for quality, which reads the resolution and retention verdicts."""
    reading = inputs.reading
    return (
        score_quality(inputs.analysis, reading, resolution, retention)
        if reading
        else inputs.not_judgeable("quality")
    )
