"""Words and evidence for a learned verdict: the signals that moved the score most.

A linear model's score is a sum of per-signal contributions (`LinearModel.contributions`), so a
verdict can say which signals decided it, in the direction they pushed, and quote the turn
behind each one that fired.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.analysis import ConversationAnalysis
from evals.local.model import LinearModel
from evals.local.signals import RESOLVED, Signals
from evals.types import Evidence

# How many signals a reason names: enough to explain, few enough to read.
MAX_NAMED = 3
# A contribution smaller than this (in log-odds or rating points) moved the verdict too little to name.
MIN_NAMED = 0.1

# Signal -> (what it says when it is present / high, what it says when absent / low). The outcome
# signal is described by the rule reading's own reason instead.
_WORDS: dict[str, tuple[str, str]] = {
    "conduct": ("the agent handled the conversation smoothly", "the agent's conduct fell short"),
    RESOLVED: ("the request was resolved", "the request was not resolved"),
    "has_outcome": ("the agent reported an outcome", "the agent reported no outcome"),
    "closing_sentiment": (
        "the customer's closing turn reads positive",
        "the customer's closing turn reads negative",
    ),
    "closing_sentence_sentiment": (
        "the customer's last sentence reads positive",
        "the customer's last sentence reads negative",
    ),
    "opening_question": (
        "the customer opened with a question",
        "the customer opened with a statement or complaint",
    ),
    "agent_closing_sentiment": ("the agent closed on a positive note", "the agent closed on a negative note"),
    "closing_thanks": ("the customer thanked the agent at the end", "no thanks at the end"),
    "closing_satisfied": ("the customer said it works or is fine", "the customer never said it works"),
    "closing_acknowledged": (
        "the customer acknowledged the answer",
        "the customer did not acknowledge the answer",
    ),
    "closing_question": (
        "the customer's closing turn asks a question",
        "the customer's closing turn asks nothing",
    ),
    "closing_words": ("the customer's closing turn is long", "the customer's closing turn is short"),
    "closing_persists": ("the customer says the problem persists", "no sign the problem persists"),
    "closing_frustration": ("the customer ended frustrated", "the customer did not end frustrated"),
    "leaving": ("the customer threatened to leave, complain or escalate", "no threat to leave"),
    "frustration_share": ("the customer sounded frustrated", "the customer did not sound frustrated"),
    "repeat_complaint": ("the customer had to repeat the complaint", "no repeated complaint"),
    "unanswered_question": ("the customer's last question got no answer", "no question left unanswered"),
    "customer_ended": ("the customer had the last word", "the agent had the last word"),
    "deflection": ("the agent sent the customer to another channel", "no deflection to another channel"),
    "instruction": ("the agent gave the customer concrete steps to take", "the agent gave no concrete steps"),
    "promise": (
        "the agent's last turn promises to act later",
        "the agent's last turn promises nothing for later",
    ),
    "placation": (
        "the agent answered with words instead of action (feedback noted)",
        "no placating non-answers",
    ),
    "apology_loop": ("the agent apologised repeatedly without acting", "no empty apologies"),
    "escalation": ("the conversation was escalated or handed over", "no hand-over"),
    "restated": ("the customer restated the problem at the end", "the customer did not restate the problem"),
    "reask": ("the agent asked again for details already given", "no re-asks"),
    "agent_asks_last": (
        "the agent's last turn still asks for information",
        "the agent's last turn asks nothing",
    ),
    "log_turns": ("the conversation is long", "the conversation is short"),
}


@dataclass(frozen=True)
class Explanation:
    """The named signals, strongest first, as phrases, and the turns behind them."""

    phrases: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    outcome_named: bool  # the rule reading of outcome notices is among the deciding signals


def explain(
    model: LinearModel, values: tuple[float, ...], signals: Signals, a: ConversationAnalysis, direction: float
) -> Explanation:
    """The signals (`values`, in `model.features` order) that pushed the score in `direction`
    (+1 up, -1 down) the most; `signals.turns` gives the turn behind each one that fired."""
    contributions = model.contributions(values)
    pushes = [c * direction for c in contributions]
    # Strongest push first, ties in feature order (a stable sort); a C-level key, as this runs
    # twice per conversation.
    ranked = sorted(range(len(pushes)), key=pushes.__getitem__, reverse=True)[:MAX_NAMED]
    phrases: list[str] = []
    evidence: list[Evidence] = []
    outcome_named = False
    for position in ranked:
        name, contribution, value = model.features[position], contributions[position], values[position]
        if contribution * direction < MIN_NAMED:
            break
        if name == "outcome":
            outcome_named = True
            continue
        high, low = _WORDS[name]
        phrases.append(high if value > model.mean[model.features.index(name)] else low)
        if (turn := signals.turns.get(name)) is not None:
            evidence.append(Evidence(turn, a.quote_of(turn), high))
    return Explanation(tuple(phrases), tuple(evidence), outcome_named)
