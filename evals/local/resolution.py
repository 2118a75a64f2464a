"""Local ConversationResolution: did the customer get what they came for in this conversation?

Two readings are combined. The rule reading (`evals.local.outcome`) follows the agent's outcome
notices (completed, failed, recovered, handed over). The closing reading looks at how the
conversation ended: the customer's closing turn (sentiment, thanks, "it works", "still not",
a question), unanswered questions, deflection to another channel, promises and placating
non-answers, apologies without action, escalation, the customer restating the problem. A
logistic regression fitted on the development sets (`evals.local.model`, weights in
`weights/resolution.json`) weighs the signals into the probability that the request was
resolved. A hand-over or the customer giving up caps it: by definition the request was not
resolved in this conversation. The reason names the signals that decided the verdict and
quotes their turns.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis
from evals.local.explain import explain
from evals.local.inputs import LocalInputs
from evals.local.model import shipped_model
from evals.local.signals import Reading
from evals.local.verdict import LocalVerdict, completed

PASS_MARK = 0.5
# The probability this far from the pass mark is a clear verdict; nearer, the hybrid engine
# may ask the LLM judge.
_CLEAR_MARGIN = 0.3
# The confidence of a clear verdict and of an unsure one. Hand-set: what matters is that a
# JOURNEYS_HYBRID_CONFIDENCE between them sends only the unsure verdicts to the judge.
_CLEAR, _UNSURE = 0.85, 0.5
# Without an outcome notice and with a single customer turn, the customer never reacted to the
# agent's answer: the closing signals describe the request, not its result, so the verdict is
# never clear.
_MIN_CUSTOMER_TURNS_WITHOUT_NOTICE = 2


def _headline(score: float) -> str:
    if score >= PASS_MARK:
        return "Resolved" if score >= PASS_MARK + _CLEAR_MARGIN else "Probably resolved"
    return "Not resolved" if score <= PASS_MARK - _CLEAR_MARGIN else "Probably not resolved"


def score_resolution(a: ConversationAnalysis, reading: Reading) -> LocalVerdict:
    """The verdict on a conversation that has a request and both sides speaking."""
    outcome = reading.outcome
    model = shipped_model("resolution")
    values = reading.signals.select(model.features)
    score = model.predict(values)
    cap = outcome.definitional_cap
    if cap is not None and score > cap.kind.cap:
        quote = f'"{a.quote_of(cap.turn)}"'
        reason = cap.kind.template.format(turn=cap.turn, quote=quote)
        return completed(cap.kind.cap, reason, list(outcome.evidence), cap.kind.confidence)
    why = explain(model, values, reading.signals, a, 1.0 if score >= PASS_MARK else -1.0)
    reason = f"{_headline(score)} ({score:.2f})"
    reason += (": " + "; ".join(why.phrases) + ".") if why.phrases else "."
    if why.outcome_named or not why.phrases:
        reason += f" Outcome notices: {outcome.reason}"
    evidence = list(why.evidence) + [e for e in outcome.evidence if e not in why.evidence]
    reacted = (
        a.customer_turns >= _MIN_CUSTOMER_TURNS_WITHOUT_NOTICE or reading.signals.value("has_outcome") > 0
    )
    confidence = _CLEAR if reacted and abs(score - PASS_MARK) >= _CLEAR_MARGIN else _UNSURE
    return completed(score, reason, evidence, confidence)


def local_resolution(inputs: LocalInputs) -> LocalVerdict:
    """The registry's local scorer for resolution."""
    reading = inputs.reading
    return score_resolution(inputs.analysis, reading) if reading else inputs.not_judgeable("resolution")
