"""Local ConversationResolution: did the customer get what they came for in this conversation?

The conversation is read as a sequence of outcomes. Each explicit success notice counts as a
completed request; a failure notice opens a failed request that a later success (a retry:
another time, another place) recovers, and that the customer's declining the offered
alternative makes final. The score is the share of completed requests, capped when the
conversation ends in a hand-over, abandonment, or a customer saying the problem persists.
Without any outcome notice (an information request), the end of the conversation decides,
with low confidence. A conversation in which the customer only greets or thanks and the agent
reports no outcome has nothing to resolve: not applicable.
"""

from __future__ import annotations

from evals.analysis import ConversationAnalysis, Event
from evals.local.verdict import NO_REQUEST, LocalVerdict, completed, not_applicable
from evals.types import Evidence

# A "sold out" or "no availability" is a failure of the request only if nothing else is found.
_SOFT_FAILURE_WEIGHT = 0.6
# A decline counts against a failure only when it answers it (the next customer turn or so).
_DECLINE_WINDOW = 2
_PARTIAL_FACTOR = 0.45
_INFO_ONLY_SCORE = 0.6
_INFO_ONLY_SATISFIED = 0.75
_CAP_ESCALATED = 0.25
_CAP_ABANDONED = 0.15
_CAP_PERSISTS = 0.2
_CAP_UNANSWERED = 0.3
_FRUSTRATION_PENALTY = 0.2
_END_WINDOW = 2  # customer turns at the end that decide how it ended


def _evidence(event: Event, note: str) -> Evidence:
    return Evidence(event.turn, event.quote, note)


def read_outcome(a: ConversationAnalysis) -> LocalVerdict:
    if not a.customer_turns or not a.agent_turns:
        return not_applicable(
            "Too short to judge: resolution needs at least one customer and one agent turn."
        )
    if not a.has_request:
        return not_applicable(NO_REQUEST)
    successes: list[Event] = []
    failed: list[tuple[float, Event]] = []
    open_failures: list[tuple[float, Event]] = []
    recovered: list[Event] = []
    handover: Event | None = None
    for event in a.events:
        if event.kind == "success":
            successes.append(event)
            handover = None
            if open_failures:
                recovered.append(open_failures.pop()[1])
        elif event.kind in ("failure", "soft_failure"):
            open_failures.append((1.0 if event.kind == "failure" else _SOFT_FAILURE_WEIGHT, event))
        elif (
            event.kind == "decline"
            and open_failures
            and event.turn - open_failures[-1][1].turn <= _DECLINE_WINDOW
        ):
            failed.append(open_failures.pop())
        elif event.kind in ("escalation", "escalation_demand"):
            handover = event
    end_cues = a.customer_cues[-_END_WINDOW:]
    if open_failures and any("satisfied" in kinds for _, kinds in end_cues[-1:]):
        # "Perfect, thanks" after an alternative was found recovers an availability miss.
        open_failures = [(w, e) for w, e in open_failures if w == 1.0]
    failed.extend(open_failures)

    evidence: list[Evidence] = []
    failed_weight = sum(w for w, _ in failed)
    if successes or failed:
        score = len(successes) / (len(successes) + failed_weight)
        if failed:
            # A conversation with a request left failed is not resolved, however many others
            # succeeded: keep partial successes below the pass mark but above total failures.
            score *= _PARTIAL_FACTOR
        confidence = 0.85
        if failed and successes:
            reason = (
                f"Partly resolved: {len(successes)} request(s) completed but a failure at turn {failed[-1][1].turn} "
                f'("{failed[-1][1].quote}") was never recovered; follow up on the failed request.'
            )
        elif failed:
            reason = (
                f"Not resolved: the agent reported a failure at turn {failed[-1][1].turn} "
                f'("{failed[-1][1].quote}") and no later success followed; offer a working alternative or a follow-up.'
            )
        else:
            reason = f'Resolved: the agent confirmed completion at turn {successes[-1].turn} ("{successes[-1].quote}")'
            reason += f", after recovering from a failure at turn {recovered[0].turn}." if recovered else "."
        evidence += [_evidence(e, "failure not recovered") for _, e in failed]
        evidence += [_evidence(e, "completion notice") for e in successes[-2:]]
        evidence += [_evidence(e, "failure later recovered") for e in recovered[:1]]
    else:
        satisfied = any(kinds & {"satisfied", "gratitude"} for _, kinds in end_cues)
        score = _INFO_ONLY_SATISFIED if satisfied else _INFO_ONLY_SCORE
        confidence = 0.5 if satisfied else 0.3
        reason = (
            "Probably resolved: no completion or failure notice, and the customer ended positively."
            if satisfied
            else "Unclear: no completion or failure notice and no clear closing from the customer."
        )

    last_turn = a.turns[-1]
    last_customer_turn, last_customer_cues = a.customer_cues[-1]
    abandoned = next((t for t, kinds in end_cues if "abandon" in kinds), None)
    persists = next((t for t, kinds in end_cues if "persists" in kinds), None)
    unanswered = (
        last_turn.index
        if last_turn.role == "customer"
        and "?" in last_turn.text
        and not last_customer_cues & {"gratitude", "satisfied"}
        else None
    )
    # How the conversation ended caps the score. A hand-over and the customer's own ending (the
    # first that applies) both count; the reason names an ending only when it decided the
    # verdict (a failure already scored 0 keeps its own reason).
    customer_ending = next(
        (
            ending
            for ending in (
                (
                    abandoned,
                    _CAP_ABANDONED,
                    0.8,
                    "customer gives up",
                    "Abandoned: the customer gave up at turn {turn} ({quote}).",
                ),
                (
                    persists,
                    _CAP_PERSISTS,
                    0.8,
                    "problem persists",
                    "Not resolved: the customer says the problem persists at turn {turn} ({quote}).",
                ),
                (
                    unanswered,
                    _CAP_UNANSWERED,
                    0.6,
                    "unanswered",
                    "Not resolved: the customer's last message (turn {turn}) got no answer.",
                ),
            )
            if ending[0] is not None
        ),
        None,
    )
    endings = [customer_ending] if customer_ending else []
    if handover is not None:
        template = "Escalated at turn {turn} ({quote}): the issue was handed over, not resolved in this conversation."
        endings.insert(0, (handover.turn, _CAP_ESCALATED, 0.8, "hand-over", template))
    for turn, cap, cap_confidence, note, template in endings:
        said = a.quote_of(turn)
        evidence.append(Evidence(turn, said, note))
        if score > cap:
            score, confidence, reason = cap, cap_confidence, template.format(turn=turn, quote=f'"{said}"')
    if "frustration" in last_customer_cues:
        score -= _FRUSTRATION_PENALTY
        evidence.append(
            Evidence(last_customer_turn, a.quote_of(last_customer_turn), "customer frustrated at the end")
        )
    return completed(score, reason, evidence, confidence)
