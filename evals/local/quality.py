"""Local CustomerAgentConversationQuality: how well the agent handled the conversation, 1-5.

A competent conversation starts at 4. The outcome moves it (resolved up, failed down), and
what a customer feels as poor service takes points off: being asked again, having to
complain, the agent repeating itself, a bare failure with neither apology nor alternative, a
last message left unanswered. Courtesy (offering more help, a proper close) adds a little.
The 1-5 rating maps to a score as (rating - 1) / 4, as the LLM rubric does.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis
from evals.local.verdict import NO_REQUEST, LocalVerdict, completed, not_applicable
from evals.types import COMPLETED, Evidence

_BASE = 4.0
_OUTCOME_PIVOT = 0.6  # a resolution score above this adds, below it takes off
_OUTCOME_WEIGHT = 1.5
_REASK_PENALTY = 0.75
_COMPLAINT_PENALTY = 0.5
_LOOP_PENALTY = 0.5
_BARE_FAILURE_PENALTY = 0.5
_UNANSWERED_PENALTY = 0.5
_COURTESY_BONUS = 0.25
_PENALTY_CAP = 1.5


def score_quality(a: ConversationAnalysis, resolution: LocalVerdict, retention: LocalVerdict) -> LocalVerdict:
    if not a.customer_turns or not a.agent_turns:
        return not_applicable("Too short to judge: quality needs at least one customer and one agent turn.")
    if not a.has_request:
        return not_applicable(NO_REQUEST)
    rating = _BASE
    good: list[str] = []
    bad: list[str] = []
    evidence: list[Evidence] = []

    if resolution.status == COMPLETED and resolution.score is not None:
        rating += (resolution.score - _OUTCOME_PIVOT) * _OUTCOME_WEIGHT
        (good if resolution.score > _OUTCOME_PIVOT else bad).append(
            "request resolved" if resolution.score > _OUTCOME_PIVOT else "request not resolved"
        )
    reask_cost = sum(r.weight for r in a.reasks) * _REASK_PENALTY
    if reask_cost:
        rating -= min(reask_cost, _PENALTY_CAP)
        bad.append(f"{len(a.reasks)} re-ask(s)")
        evidence += [e for e in retention.evidence if e.note.startswith(("re-ask", "possible"))][:2]
    complaints = [
        t for t, kinds in a.customer_cues if kinds & {"frustration", "persists", "repeat_complaint"}
    ]
    if complaints:
        rating -= min(len(complaints) * _COMPLAINT_PENALTY, _PENALTY_CAP)
        bad.append(f"customer complained at turn {complaints[0]}")
        evidence.append(Evidence(complaints[0], a.quote_of(complaints[0]), "customer complaint"))
    if a.repeated_agent_turns:
        rating -= min(len(a.repeated_agent_turns) * _LOOP_PENALTY, _PENALTY_CAP)
        turn, earlier = a.repeated_agent_turns[0]
        bad.append(f"agent repeated turn {earlier} at turn {turn}")
        evidence.append(Evidence(turn, a.quote_of(turn), f"repeats turn {earlier}"))
    agent_kinds = dict(a.agent_cues)
    bare_failures = [
        t
        for t, kinds in a.agent_cues
        if kinds & {"failure", "soft_failure"} and not kinds & {"apology", "alternative"}
    ]
    if bare_failures:
        rating -= min(len(bare_failures) * _BARE_FAILURE_PENALTY, _PENALTY_CAP)
        bad.append(f"failure at turn {bare_failures[0]} without apology or alternative")
        evidence.append(Evidence(bare_failures[0], a.quote_of(bare_failures[0]), "bare failure notice"))
    if a.turns[-1].role == "customer" and "?" in a.turns[-1].text:
        rating -= _UNANSWERED_PENALTY
        bad.append("last customer message unanswered")
    if any(kinds & {"offer_help", "closing"} for kinds in agent_kinds.values()):
        rating += _COURTESY_BONUS
        good.append("courteous close")

    rating = min(5.0, max(1.0, rating))
    summary = f"Quality {rating:.1f}/5"
    if bad:
        reason = f"{summary}: {'; '.join(bad[:3])}" + (f" (but {', '.join(good)})." if good else ".")
    else:
        reason = f"{summary}: {', '.join(good) if good else 'no problems found'}."
    # Without outcome or problem signals the rating is mostly the prior.
    confidence = 0.7 if (bad or resolution.confidence >= 0.8) else 0.4
    return completed((rating - 1.0) / 4.0, reason, evidence, confidence)
