"""Trivial baselines the evaluators must beat: a few regexes on the customer's last turn.

`journeys calibrate` prints each beside the evaluator it stands for. They are deliberately
naive and kept in this one module so that they cannot drift towards the evaluators: a closing
turn that thanks or says it works reads as resolved and satisfied, one that says "still",
"not", "why" or asks a question reads as unresolved; a customer saying "already" or "again"
anywhere reads as a re-ask.
"""

from __future__ import annotations

import re

from evals.types import ConversationLike, normalize_conversation

_POSITIVE = re.compile(
    r"\b(?:thanks?|thank\s+you|ok(?:ay)?|great|solved|fixed|works?|got\s+it)\b", re.IGNORECASE
)
_NEGATIVE = re.compile(r"\b(?:still|not|no|never|why|can't|cannot|won't|doesn't|didn't)\b|\?", re.IGNORECASE)
_REASK = re.compile(r"\b(?:already|again|told\s+you|as\s+i\s+said)\b", re.IGNORECASE)


def closing_score(conversation: ConversationLike) -> float:
    """Resolution and quality baseline in [0, 1]: 0.5, plus 0.5 for a positive closing customer
    turn, minus 0.5 for a negative one (no customer turn: 0.5)."""
    customer = [t.text for t in normalize_conversation(conversation) if t.role == "customer"]
    if not customer:
        return 0.5
    last = customer[-1]
    return 0.5 + 0.5 * bool(_POSITIVE.search(last)) - 0.5 * bool(_NEGATIVE.search(last))


def reask_score(conversation: ConversationLike) -> float:
    """Re-ask baseline: 1 when any customer turn says "already", "again", "told you" or "as I said"."""
    turns = normalize_conversation(conversation)
    return float(any(t.role == "customer" and _REASK.search(t.text) for t in turns))
