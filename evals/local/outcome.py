"""The rule reading of a conversation's outcome notices, one of the resolution signals.

The conversation is read as a sequence of outcomes. Each explicit success notice counts as a
completed request; a failure notice opens a failed request that a later success (a retry:
another time, another place) recovers, and that the customer's declining the offered
alternative makes final. The score is the share of completed requests, capped by how the
conversation ended (a hand-over, the customer giving up or saying the problem persists, a last
question left unanswered). Without any outcome notice the end of the conversation decides, with
low confidence. A hand-over and abandonment are part of what "resolved in this conversation"
means, so `OutcomeReading.definitional_cap` also caps the learned verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.analysis import ConversationAnalysis, Event
from evals.types import Evidence

# A "sold out" or "no availability" is a failure of the request only if nothing else is found.
_SOFT_FAILURE_WEIGHT = 0.6
# A decline counts against a failure only when it answers it (the next customer turn or so).
_DECLINE_WINDOW = 2
# A request left failed keeps partial successes below the pass mark but above total failure.
_PARTIAL_FACTOR = 0.45
# Without any outcome notice: a neutral-leaning prior, a little higher when the customer ended
# positively.
_INFO_ONLY_SCORE = 0.6
_INFO_ONLY_SATISFIED = 0.75
_FRUSTRATION_PENALTY = 0.2
_END_WINDOW = 2  # customer turns at the end that decide how it ended

# How sure each kind of reading is: explicit notices are clear; an ending the customer spells
# out ("never mind", "still broken") nearly so; an unanswered question less; no notice at all
# leaves the end of the conversation to decide, weakly.
_NOTICE_CONFIDENCE = 0.85
_ENDING_CONFIDENCE = 0.8
_UNANSWERED_CONFIDENCE = 0.6
_SATISFIED_CONFIDENCE = 0.5
_UNCLEAR_CONFIDENCE = 0.3


@dataclass(frozen=True, slots=True)
class EndingKind:
    """A way a conversation can end, the cap it puts on the score, and how it is worded."""

    note: str
    cap: float
    confidence: float
    template: str
    definitional: bool  # not resolved in this conversation, whatever else the signals say


ESCALATED = EndingKind(
    "hand-over",
    0.25,
    _ENDING_CONFIDENCE,
    "Escalated at turn {turn} ({quote}): the issue was handed over, not resolved in this conversation.",
    True,
)
ABANDONED = EndingKind(
    "customer gives up",
    0.15,
    _ENDING_CONFIDENCE,
    "Abandoned: the customer gave up at turn {turn} ({quote}).",
    True,
)
PERSISTS = EndingKind(
    "problem persists",
    0.2,
    _ENDING_CONFIDENCE,
    "Not resolved: the customer says the problem persists at turn {turn} ({quote}).",
    False,
)
UNANSWERED = EndingKind(
    "unanswered",
    0.3,
    _UNANSWERED_CONFIDENCE,
    "Not resolved: the customer's last message (turn {turn}) got no answer.",
    False,
)


@dataclass(frozen=True, slots=True)
class Ending:
    kind: EndingKind
    turn: int


@dataclass
class _Tally:
    """The outcome notices in order: completed, failed (with weight), recovered, and a hand-over
    still standing at the end."""

    successes: list[Event] = field(default_factory=list)
    failed: list[tuple[float, Event]] = field(default_factory=list)
    open_failures: list[tuple[float, Event]] = field(default_factory=list)
    recovered: list[Event] = field(default_factory=list)
    handover: Event | None = None


@dataclass(frozen=True)
class OutcomeReading:
    score: float
    reason: str
    evidence: tuple[Evidence, ...]
    confidence: float
    definitional_cap: Ending | None


def _tally(a: ConversationAnalysis) -> _Tally:
    t = _Tally()
    for event in a.events:
        if event.kind == "success":
            t.successes.append(event)
            t.handover = None
            if t.open_failures:
                t.recovered.append(t.open_failures.pop()[1])
        elif event.kind in ("failure", "soft_failure"):
            t.open_failures.append((1.0 if event.kind == "failure" else _SOFT_FAILURE_WEIGHT, event))
        elif (
            event.kind == "decline"
            and t.open_failures
            and event.turn - t.open_failures[-1][1].turn <= _DECLINE_WINDOW
        ):
            t.failed.append(t.open_failures.pop())
        elif event.kind in ("escalation", "escalation_demand"):
            t.handover = event
    if t.open_failures and any("satisfied" in kinds for _, kinds in a.customer_cues[-1:]):
        # "Perfect, thanks" after an alternative was found recovers an availability miss.
        t.open_failures = [(w, e) for w, e in t.open_failures if w == 1.0]
    t.failed.extend(t.open_failures)
    return t


def _from_notices(t: _Tally) -> tuple[float, str, list[Evidence]]:
    score = len(t.successes) / (len(t.successes) + sum(w for w, _ in t.failed))
    evidence = [Evidence(e.turn, e.quote, "failure not recovered") for _, e in t.failed]
    evidence += [Evidence(e.turn, e.quote, "completion notice") for e in t.successes[-2:]]
    evidence += [Evidence(e.turn, e.quote, "failure later recovered") for e in t.recovered[:1]]
    if not t.failed:
        last = t.successes[-1]
        reason = f'Resolved: the agent confirmed completion at turn {last.turn} ("{last.quote}")'
        reason += f", after recovering from a failure at turn {t.recovered[0].turn}." if t.recovered else "."
        return score, reason, evidence
    failure = t.failed[-1][1]
    if t.successes:
        reason = (
            f"Partly resolved: {len(t.successes)} request(s) completed but a failure at turn {failure.turn} "
            f'("{failure.quote}") was never recovered; follow up on the failed request.'
        )
    else:
        reason = (
            f'Not resolved: the agent reported a failure at turn {failure.turn} ("{failure.quote}") and no '
            "later success followed; offer a working alternative or a follow-up."
        )
    return score * _PARTIAL_FACTOR, reason, evidence


def _customer_ending(a: ConversationAnalysis) -> Ending | None:
    """The first of the customer's own endings that applies: giving up, the problem persisting,
    a last question left unanswered."""
    end_cues = a.customer_cues[-_END_WINDOW:]
    for kind, cue in ((ABANDONED, "abandon"), (PERSISTS, "persists")):
        turn = next((turn for turn, kinds in end_cues if cue in kinds), None)
        if turn is not None:
            return Ending(kind, turn)
    last = a.turns[-1]
    if (
        last.role == "customer"
        and "?" in last.text
        and not a.customer_cues[-1][1] & {"gratitude", "satisfied"}
    ):
        return Ending(UNANSWERED, last.index)
    return None


def _endings(a: ConversationAnalysis, t: _Tally) -> list[Ending]:
    """The hand-over still standing at the end, then the customer's own ending."""
    endings = [Ending(ESCALATED, t.handover.turn)] if t.handover else []
    if (customer := _customer_ending(a)) is not None:
        endings.append(customer)
    return endings


def read_outcome(a: ConversationAnalysis) -> OutcomeReading:
    """The rule reading of a conversation with at least one customer and one agent turn."""
    t = _tally(a)
    if t.successes or t.failed:
        score, reason, evidence = _from_notices(t)
        confidence = _NOTICE_CONFIDENCE
    else:
        satisfied = any(kinds & {"satisfied", "gratitude"} for _, kinds in a.customer_cues[-_END_WINDOW:])
        score = _INFO_ONLY_SATISFIED if satisfied else _INFO_ONLY_SCORE
        confidence = _SATISFIED_CONFIDENCE if satisfied else _UNCLEAR_CONFIDENCE
        reason = (
            "Probably resolved: no completion or failure notice, and the customer ended positively."
            if satisfied
            else "Unclear: no completion or failure notice and no clear closing from the customer."
        )
        evidence = []
    endings = _endings(a, t)
    for ending in endings:
        said = a.quote_of(ending.turn)
        evidence.append(Evidence(ending.turn, said, ending.kind.note))
        if score > ending.kind.cap:
            score, confidence = ending.kind.cap, ending.kind.confidence
            reason = ending.kind.template.format(turn=ending.turn, quote=f'"{said}"')
    closing_turn, closing_cues = a.customer_cues[-1]
    if "frustration" in closing_cues:
        score -= _FRUSTRATION_PENALTY
        evidence.append(Evidence(closing_turn, a.quote_of(closing_turn), "customer frustrated at the end"))
    cap = next((e for e in endings if e.kind.definitional), None)
    return OutcomeReading(max(0.0, score), reason, tuple(evidence), confidence, cap)
