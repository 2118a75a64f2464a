"""The conversation-level signals the learned evaluators combine, each with the turn behind it.

Every signal is domain-general: how the customer's closing turn reads (VADER sentiment, thanks,
satisfaction, "still"/"not working", frustration, a threat to leave or to complain), questions
left unanswered, the agent's deflection to another channel, apologies without action, who spoke
last, escalation, the customer restating the problem, re-asks, and the outcome notices the rule
reading (`evals.local.outcome`) found. Each is a number in a fixed order (`NAMES`), so a linear
model's weights (`evals.local.model`) line up with them, and each remembers the turn that shows
it, so a verdict can quote its evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evals.analysis import ConversationAnalysis
from evals.facts import content_words
from evals.local.conduct import ConductReading, read_conduct
from evals.local.outcome import OutcomeReading, read_outcome
from evals.sentiment import compound
from evals.text import lower, split_sentences
from evals.types import Turn

# Apologies in this many agent turns with no action between them read as a loop, not courtesy.
_APOLOGY_LOOP_TURNS = 2
# Agent cue kinds that are action, not words: an apology beside one of them is not empty.
_ACTION_KINDS = frozenset({"success", "alternative", "escalation"})
_OUTCOME_KINDS = frozenset({"success", "failure", "soft_failure"})
_LEAVING_KINDS = frozenset({"threat", "abandon", "escalation_demand"})
_REPEAT_KINDS = frozenset({"repeat_complaint", "persists"})
# A closing turn that only thanks or greets, or takes the answer in.
_ACKNOWLEDGING = frozenset({"acknowledge", "pleasantry"})

# The order of the feature vector; the weights file lists the same names and is checked on load.
NAMES: tuple[str, ...] = (
    "outcome",
    "conduct",
    "has_outcome",
    "closing_sentiment",
    "closing_sentence_sentiment",
    "opening_question",
    "agent_closing_sentiment",
    "closing_thanks",
    "closing_satisfied",
    "closing_acknowledged",
    "closing_question",
    "closing_words",
    "closing_persists",
    "closing_frustration",
    "leaving",
    "frustration_share",
    "repeat_complaint",
    "unanswered_question",
    "customer_ended",
    "deflection",
    "instruction",
    "promise",
    "placation",
    "apology_loop",
    "escalation",
    "restated",
    "reask",
    "agent_asks_last",
    "log_turns",
)

# Quality reads the resolution verdict's score (a stacked model: satisfaction follows
# resolution, and the resolution model knows outcome notices that satisfaction ratings rarely
# show) and a few signals about the agent's conduct; with every closing signal as well, the
# ratings' weight spreads over near-copies of what the resolution score already holds.
RESOLVED = "resolved"
# Resolution leaves re-asks to retention: in the SGD set every re-ask dialogue is resolved (its
# README warns not to read a link off it), and a model would learn that artefact.
MODEL_FEATURES: dict[str, tuple[str, ...]] = {
    "resolution": tuple(name for name in NAMES if name != "reask"),
    "quality": (
        RESOLVED,
        "conduct",
        "closing_sentiment",
        "frustration_share",
        "leaving",
        "deflection",
        "apology_loop",
        "reask",
    ),
}
_POSITION = {name: position for position, name in enumerate(NAMES)}


@dataclass(frozen=True, slots=True)
class Signals:
    """One conversation's signals (see `NAMES`) and, per signal that fired, the turn behind it."""

    values: tuple[float, ...]
    turns: dict[str, int]

    def value(self, name: str) -> float:
        return self.values[_POSITION[name]]

    def select(self, names: tuple[str, ...], resolved: float | None = None) -> tuple[float, ...]:
        """The values of `names` in that order; `resolved` stands for `RESOLVED`."""
        return tuple(resolved if name == RESOLVED else self.values[_POSITION[name]] for name in names)  # type: ignore[misc]


@dataclass(frozen=True)
class Reading:
    """What both learned evaluators read from one conversation: the two rule readings and the
    signals built on them."""

    outcome: OutcomeReading
    conduct: ConductReading
    signals: Signals


def read(a: ConversationAnalysis) -> Reading:
    """The reading of a conversation with at least one customer and one agent turn."""
    outcome, conduct = read_outcome(a), read_conduct(a)
    return Reading(outcome, conduct, read_signals(a, outcome, conduct))


def _restated(first: str, last: str) -> float:
    """The share of the closing turn's content words that the opening customer turn already used:
    a customer who has to describe the problem again."""
    closing = content_words(last)
    if not closing:
        return 0.0
    return len(closing & content_words(first)) / len(closing)


def last_sentence(text: str) -> str:
    """How a turn ends: "It didn't work at first. Now it's fine." ends well."""
    sentences = split_sentences(text)
    return sentences[-1] if sentences else text


def _apology_loop(a: ConversationAnalysis) -> tuple[float, int | None]:
    empty = [turn for turn, kinds in a.agent_cues if "apology" in kinds and not kinds & _ACTION_KINDS]
    if len(empty) >= _APOLOGY_LOOP_TURNS:
        return 1.0, empty[-1]
    return 0.0, None


@dataclass(frozen=True, slots=True)
class _Landmarks:
    """The turns the signals are read at."""

    first_customer: Turn  # the customer's opening turn
    closing_customer: Turn  # the customer's closing turn
    closing_cues: frozenset[str]  # its cues
    closing_agent: Turn  # the agent's closing turn
    agent_kinds: frozenset[str]  # its cue kinds
    last: Turn  # the conversation's last turn, either side's

    @classmethod
    def of(cls, a: ConversationAnalysis) -> _Landmarks:
        turns = {t.index: t for t in a.turns}
        closing_agent, agent_kinds = a.agent_cues[-1]
        return cls(
            first_customer=turns[a.customer_cues[0][0]],
            closing_customer=turns[a.customer_cues[-1][0]],
            closing_cues=a.customer_cues[-1][1],
            closing_agent=turns[closing_agent],
            agent_kinds=agent_kinds,
            last=a.turns[-1],
        )


def _closing_values(at: _Landmarks) -> dict[str, float]:
    """How the conversation closes: the customer's closing turn, and who spoke last."""
    closing, cues, last = at.closing_customer.text, at.closing_cues, at.last
    return {
        "closing_sentiment": compound(lower(closing)),
        "closing_sentence_sentiment": compound(lower(last_sentence(closing))),
        "opening_question": float("?" in at.first_customer.text),
        "agent_closing_sentiment": compound(lower(at.closing_agent.text)),
        "closing_thanks": float("gratitude" in cues),
        "closing_satisfied": float("satisfied" in cues),
        "closing_acknowledged": float(bool(cues & _ACKNOWLEDGING)),
        "closing_question": float("?" in closing),
        "closing_words": math.log1p(len(closing.split())),
        "closing_persists": float("persists" in cues),
        "closing_frustration": float("frustration" in cues),
        "unanswered_question": float(last.role == "customer" and "?" in last.text),
        "customer_ended": float(last.role == "customer"),
        "agent_asks_last": float(last.role == "agent" and "?" in last.text),
        "restated": _restated(at.first_customer.text, closing)
        if at.closing_customer.index != at.first_customer.index
        else 0.0,
    }


def _any_cue(cues: tuple[tuple[int, frozenset[str]], ...], kinds: frozenset[str]) -> float:
    return float(any(found & kinds for _, found in cues))


def _conversation_values(a: ConversationAnalysis, at: _Landmarks) -> dict[str, float]:
    """What happened anywhere in the conversation: both sides' cues, events and re-asks."""
    return {
        "has_outcome": float(any(e.kind in _OUTCOME_KINDS for e in a.events)),
        "leaving": _any_cue(a.customer_cues, _LEAVING_KINDS),
        "frustration_share": sum("frustration" in k for _, k in a.customer_cues) / len(a.customer_cues),
        "repeat_complaint": _any_cue(a.customer_cues[1:], _REPEAT_KINDS),
        "deflection": _any_cue(a.agent_cues, frozenset({"deflection"})),
        "instruction": _any_cue(a.agent_cues, frozenset({"instruction"})),
        "promise": float("promise" in at.agent_kinds),
        "placation": _any_cue(a.agent_cues, frozenset({"placation"})),
        "escalation": float(any(e.kind in ("escalation", "escalation_demand") for e in a.events)),
        "reask": min(1.0, sum(r.weight for r in a.reasks)),
        "log_turns": math.log(len(a.turns)),
    }


# Closing-turn signals that, when they fire, point at the customer's closing turn.
_CLOSING_TURN_SIGNALS = (
    "closing_thanks",
    "closing_satisfied",
    "closing_acknowledged",
    "closing_question",
    "closing_persists",
    "closing_frustration",
    "restated",
)
# VADER's neutral band: a compound score nearer zero than this reads as neutral, no evidence.
_NEUTRAL_SENTIMENT = 0.05


def _fired_turns(
    a: ConversationAnalysis, at: _Landmarks, values: dict[str, float], loop_turn: int | None
) -> dict[str, int]:
    """The turn behind each signal that fired, for the verdict to quote."""
    fired: dict[str, int] = {}
    for name in _CLOSING_TURN_SIGNALS:
        if values[name] > 0:
            fired[name] = at.closing_customer.index
    if abs(values["closing_sentiment"]) >= _NEUTRAL_SENTIMENT:
        fired["closing_sentiment"] = at.closing_customer.index
    if values["unanswered_question"]:
        fired["unanswered_question"] = at.last.index
    if loop_turn is not None:
        fired["apology_loop"] = loop_turn
    _first_turn_with(a, fired, "leaving", _LEAVING_KINDS, customer=True)
    _first_turn_with(a, fired, "repeat_complaint", _REPEAT_KINDS, customer=True)
    _first_turn_with(a, fired, "deflection", frozenset({"deflection"}), customer=False)
    _first_turn_with(a, fired, "instruction", frozenset({"instruction"}), customer=False)
    _first_turn_with(a, fired, "placation", frozenset({"placation"}), customer=False)
    if values["promise"]:
        fired["promise"] = at.closing_agent.index
    _first_turn_with(a, fired, "frustration_share", frozenset({"frustration"}), customer=True)
    return fired


def read_signals(a: ConversationAnalysis, outcome: OutcomeReading, conduct: ConductReading) -> Signals:
    """The signals of an analysed conversation with at least one customer and one agent turn;
    `outcome` and `conduct` are the rule readings of its outcome notices and the agent's conduct."""
    at = _Landmarks.of(a)
    values = {"outcome": outcome.score, "conduct": conduct.rating, **_closing_values(at)}
    values |= _conversation_values(a, at)
    values["apology_loop"], loop_turn = _apology_loop(a)
    return Signals(tuple(values[name] for name in NAMES), _fired_turns(a, at, values, loop_turn))


def _first_turn_with(
    a: ConversationAnalysis, fired: dict[str, int], name: str, kinds: frozenset[str], *, customer: bool
) -> None:
    cues = a.customer_cues if customer else a.agent_cues
    turn = next((t for t, k in cues if k & kinds), None)
    if turn is not None:
        fired[name] = turn
