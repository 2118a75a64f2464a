"""The rule reading of how the agent conducted the conversation, one of the quality signals.

A competent conversation starts at 4 of 5. What a customer feels as poor service takes points
off: being asked again for details already given, having to complain, the agent repeating
itself, a bare failure with neither apology nor alternative, a last message left unanswered.
Courtesy (offering more help, a proper close) adds a little. The development sets have too few
re-asks and loops for a model to learn their cost, so these priors carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.analysis import ConversationAnalysis
from evals.types import Evidence

BASE_RATING = 4.0
# Points off per instance, each kind capped at _PENALTY_CAP so one problem cannot sink a rating.
_REASK_PENALTY = 0.75
_COMPLAINT_PENALTY = 0.5
_LOOP_PENALTY = 0.5
_BARE_FAILURE_PENALTY = 0.5
_UNANSWERED_PENALTY = 0.5
_PENALTY_CAP = 1.5
_COURTESY_BONUS = 0.25
_COMPLAINT_KINDS = frozenset({"frustration", "persists", "repeat_complaint"})


@dataclass(frozen=True)
class ConductReading:
    """The conduct rating (1-5), the problems found (worded), and the turns behind them."""

    rating: float
    problems: tuple[str, ...]
    evidence: tuple[Evidence, ...]


def _penalty(count: float, per_item: float) -> float:
    return min(count * per_item, _PENALTY_CAP)


def read_conduct(a: ConversationAnalysis) -> ConductReading:
    rating = BASE_RATING
    problems: list[str] = []
    evidence: list[Evidence] = []
    if a.reasks:
        rating -= _penalty(sum(r.weight for r in a.reasks), _REASK_PENALTY)
        problems.append(f"{len(a.reasks)} re-ask(s)")
    complaints = [turn for turn, kinds in a.customer_cues if kinds & _COMPLAINT_KINDS]
    if complaints:
        rating -= _penalty(len(complaints), _COMPLAINT_PENALTY)
        problems.append(f"customer complained at turn {complaints[0]}")
        evidence.append(Evidence(complaints[0], a.quote_of(complaints[0]), "customer complaint"))
    if a.repeated_agent_turns:
        rating -= _penalty(len(a.repeated_agent_turns), _LOOP_PENALTY)
        turn, earlier = a.repeated_agent_turns[0]
        problems.append(f"agent repeated turn {earlier} at turn {turn}")
        evidence.append(Evidence(turn, a.quote_of(turn), f"repeats turn {earlier}"))
    bare = [
        turn
        for turn, kinds in a.agent_cues
        if kinds & {"failure", "soft_failure"} and not kinds & {"apology", "alternative"}
    ]
    if bare:
        rating -= _penalty(len(bare), _BARE_FAILURE_PENALTY)
        problems.append(f"failure at turn {bare[0]} without apology or alternative")
        evidence.append(Evidence(bare[0], a.quote_of(bare[0]), "bare failure notice"))
    if a.turns[-1].role == "customer" and "?" in a.turns[-1].text:
        rating -= _UNANSWERED_PENALTY
        problems.append("last customer message unanswered")
    if any(kinds & {"offer_help", "closing"} for _, kinds in a.agent_cues):
        rating += _COURTESY_BONUS
    return ConductReading(min(5.0, max(1.0, rating)), tuple(problems), tuple(evidence))
