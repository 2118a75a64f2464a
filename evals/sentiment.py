"""How a closing turn reads: VADER's sentiment lexicon with its core rules, in a fast form.

The lexicon is the one `vaderSentiment` ships (Hutto & Gilbert, 2014: about 7,500 words and
emoticons rated by ten people from -4 to +4), read from the installed package, so no word list
here is tuned to any data set. The full analyser costs more a turn than the local engine's
throughput target allows even for the two closing turns (docs/benchmarks.md), so this keeps the
rules that matter most for short service messages: a negation in the three words before a
word flips and damps it (VADER's `N_SCALAR`), and "but" shifts the weight to what follows it
(VADER's 0.5 / 1.5). The sum is normalised as VADER's `compound` is: s / sqrt(s^2 + alpha).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

# VADER's constants (vaderSentiment.vaderSentiment): a negated word keeps -0.74 of its valence,
# and the compound score is normalised with alpha = 15.
_NEGATION_SCALAR = -0.74
_ALPHA = 15.0
_NEGATION_WINDOW = 3
_BEFORE_BUT, _AFTER_BUT = 0.5, 1.5
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "nowhere",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "hasnt",
        "havent",
        "hadnt",
        "aint",
        "without",
    ]
)
# Words, and the punctuation that ends a clause (a negation does not reach past it).
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,;!?]")
_CLAUSE_END = frozenset(".,;!?")


@lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """VADER's word valences, from the installed `vaderSentiment` package."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    valences: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            valences[parts[0]] = float(parts[1])
    return valences


# Closing turns repeat across conversations ("thank you.", "have a great day!"), and a score
# is a function of the text alone, so the latest ones are kept.
@lru_cache(maxsize=16_384)
def compound(lowered: str) -> float:
    """VADER-style compound sentiment of a lower-cased text, in [-1, 1] (0 when no word is rated)."""
    valences = lexicon()
    total = before_but = 0.0
    but_seen = False
    since_negation = _NEGATION_WINDOW + 1  # words since the last negation in this clause
    for token in _TOKEN.findall(lowered):
        if token in _CLAUSE_END:
            since_negation = _NEGATION_WINDOW + 1
            continue
        since_negation += 1
        if token == "but":
            but_seen, before_but, total = True, total, 0.0
        elif token.endswith("n't") or token in _NEGATIONS:
            since_negation = 0
        elif (valence := valences.get(token)) is not None:
            total += valence * _NEGATION_SCALAR if since_negation <= _NEGATION_WINDOW else valence
    if but_seen:
        total = before_but * _BEFORE_BUT + total * _AFTER_BUT
    return total / math.sqrt(total * total + _ALPHA) if total else 0.0
