"""Local CustomerAgentContextRetention: did the agent keep what the customer already said?

Each re-ask found by the analysis carries a weight, the strength of the evidence that the
agent lost the information (a repeated email is near-certain, a repeated small count is weak,
a question about an already-given kind answered with a new value is weaker still; a restated
untyped detail weighs by how specific it is and how much of the reply it makes up). Treating
the pieces of evidence as independent, the score is the probability that none of them is a
real retention failure: the product of (1 - weight).
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

from evals.analysis import DETAIL, ConversationAnalysis, ReAsk
from evals.local.inputs import LocalInputs
from evals.local.verdict import LocalVerdict, completed, not_applicable
from evals.types import Evidence

# A confirmed re-ask at least this strong (an even chance it is a real failure) is a clear verdict.
_CONFIDENT_WEIGHT = 0.5
# How sure each reading is: a strong confirmed re-ask is near-certain, a weak one less so; a re-ask
# the customer did not confirm is a coin toss; no re-ask at all is a fairly safe "kept".
_LOST_CONFIDENCE = 0.9
_WEAK_LOST_CONFIDENCE = 0.6
_LAPSE_CONFIDENCE = 0.5
_KEPT_CONFIDENCE = 0.8
# The strongest re-asks and carry-overs a verdict quotes: enough to see the pattern, short to read.
_REASKS_SHOWN = 3
_CARRYOVERS_SHOWN = 2


# How a reason names each kind of fact.
_LABELS = {
    "email": "email address",
    "phone": "phone number",
    "id": "account/order/reference number",
    "amount": "amount",
    "date": "date",
    "time": "time",
    "count": "number of people or items",
    "name": "name",
    "place": "place",
    "preference": "preference",
    DETAIL: "detail",
}


def _describe(r: ReAsk) -> str:
    what = " or ".join(_LABELS[kind] for kind in r.kinds) if r.kinds else "information"
    if r.kinds == (DETAIL,) and r.earlier is not None:
        what = f'{what} "{r.earlier.fact.text}"'
    if r.earlier is None:
        return f"at turn {r.turn} the customer says they already gave the {what}"
    where = "the earlier stage" if r.cross_stage else "this conversation"
    verb = "asked again for" if r.confirmed else "asked for"
    return f'at turn {r.turn} the agent {verb} the {what} given at turn {r.earlier.turn} of {where} ("{r.earlier.quote}")'


def _evidence(r: ReAsk, a: ConversationAnalysis) -> list[Evidence]:
    note = ("re-ask" if r.confirmed else "possible re-ask") + (" across stages" if r.cross_stage else "")
    items = [Evidence(r.turn, r.question, note)]
    if r.earlier is not None:
        items.append(Evidence(r.earlier.turn, r.earlier.quote, "first given", r.earlier.source))
    if r.confirmed and r.answer_turn is not None and r.answer_turn != r.turn:
        items.append(Evidence(r.answer_turn, a.quote_of(r.answer_turn), "given again"))
    return items


class _Finding(NamedTuple):
    reason: str
    confidence: float


def _lost(confirmed: list[ReAsk]) -> _Finding:
    """The agent asked again and the customer gave the earlier value again (or said so)."""
    strongest = confirmed[0]
    if strongest.cross_stage:
        fix = "carry the earlier stage's details into the hand-off"
    else:
        fix = "use what the customer already said"
    reason = f"Context lost: {_describe(strongest)}"
    reason += f" (and {len(confirmed) - 1} more re-ask(s))" if len(confirmed) > 1 else ""
    reason += f"; {fix}."
    confident = strongest.weight >= _CONFIDENT_WEIGHT
    return _Finding(reason, _LOST_CONFIDENCE if confident else _WEAK_LOST_CONFIDENCE)


def _lapse(lapse: ReAsk, a: ConversationAnalysis) -> _Finding:
    """The agent asked for something already given, but the customer did not confirm a re-ask."""
    if lapse.repeated:
        outcome = "and the reply repeated it"
    elif lapse.answer_turn is None:
        outcome = "and the conversation ended before an answer"
    elif any(g.turn == lapse.answer_turn and g.fact.kind in lapse.kinds for g in a.given):
        outcome = "but the reply gave a new value"
    else:
        outcome = "but the reply did not repeat it"
    return _Finding(f"Possible lapse: {_describe(lapse)}, {outcome}.", _LAPSE_CONFIDENCE)


def _kept(a: ConversationAnalysis) -> _Finding:
    known = len(a.context_facts) + len(a.given)
    reason = "Context kept: no re-asks of " + (
        f"the {known} detail(s) the customer gave" if known else "what the customer said"
    )
    reason += f"; the agent reused earlier details {len(a.carryovers)} time(s)." if a.carryovers else "."
    return _Finding(reason, _KEPT_CONFIDENCE)


def score_retention(a: ConversationAnalysis) -> LocalVerdict:
    if not a.customer_turns or not a.agent_turns:
        return not_applicable("Too short to judge: retention needs at least one customer and one agent turn.")
    if not a.context_facts and not a.given and not a.details and not a.reasks:
        return not_applicable(
            "Not applicable: the customer gave no details the agent could have to ask for again."
        )
    score = prod(1.0 - r.weight for r in a.reasks)
    strongest = sorted(a.reasks, key=lambda r: r.weight, reverse=True)
    evidence = [e for r in strongest[:_REASKS_SHOWN] for e in _evidence(r, a)]
    evidence += [
        Evidence(c.turn, c.sentence, "reused earlier detail", c.earlier.source)
        for c in a.carryovers[:_CARRYOVERS_SHOWN]
    ]
    confirmed = [r for r in strongest if r.confirmed]
    if confirmed:
        finding = _lost(confirmed)
    elif strongest:
        finding = _lapse(strongest[0], a)
    else:
        finding = _kept(a)
    return completed(score, finding.reason, evidence, finding.confidence)


def local_retention(inputs: LocalInputs) -> LocalVerdict:
    """The registry's local scorer for retention (it needs no learned reading)."""
    return score_retention(inputs.analysis)
