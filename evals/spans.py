"""Content spans a customer restates: the untyped half of re-ask detection.

Typed facts (`evals.facts`) cover values with a shape: emails, ids, dates, times, amounts. A
device ("Chromecast with Google TV"), a plan, a product or a genre has no shape, but a re-ask of
it looks the same: the agent asks, and the customer's answer restates words they had already
said. So a customer turn is reduced to its content words (no function words, no conversational
filler, no typed values, which the fact path judges with their own equality rules), the word
n-grams the customer has said are remembered (compared by stem: "searching" is "search"), and a
reply is matched against them.

How much a restated span proves depends on how specific it is: repeating "Chromecast with
Google TV" is not a coincidence, repeating "hotel" is not news. Specificity comes from the
span's information, the sum over its words of -log10 of their frequency in English (from
`wordfreq`); a word too frequent to carry meaning is no content word at all.

This runs on every turn, so a run of content words is one string and n-grams are strings:
neither is tracked by the garbage collector, which tuples per word made a measurable cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import snowballstemmer
from wordfreq import get_frequency_dict

from evals.text import FILLER
from evals.types import Turn

# Words at least this frequent in English (Zipf >= 5.8: "time", "want", "need", "good" and
# every function word) carry no content of their own.
_STOP_ZIPF = 5.8
# A word missing from the list (a brand, a model number, a typo) counts as this rare.
_RARE_ZIPF = 2.0
_MAX_GRAM = 3  # a longer restatement matches as consecutive n-grams
# Specificity = _MAX_SPECIFICITY * (1 - exp(-(information - _INFORMATION_FLOOR) / _INFORMATION_SCALE)),
# zero below the floor. The floor is the information of one fairly common word (Zipf 4:
# "hotel", "reservation"), which recurs in any conversation about its topic and proves nothing
# alone. Above it: everyday phrases weigh little ("help me find" 0.28, "family plan" 0.36),
# rarer names more ("San Jose" 0.55, "Unlimited Plus" 0.56, "Chromecast with Google TV" 0.81).
# Priors set on such examples; checked, not tuned, against the calibration part
# (docs/evaluators.md).
_MAX_SPECIFICITY = 0.9
_INFORMATION_FLOOR = 5.0
_INFORMATION_SCALE = 4.0

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()|/\"]")
_MARKS = frozenset('.,;:!?()|/"')  # end a run
_SENTENCE_END = frozenset(".!?")

Run = str  # a run of content words, space-separated: "chromecast google tv"


@cache
def _frequencies() -> dict[str, float]:
    # Loaded on first use, not at import, so importing `evals` stays cheap (docs/benchmarks.md).
    return get_frequency_dict("en")


_STOP_FREQUENCY = 10 ** (_STOP_ZIPF - 9)
_RARE_FREQUENCY = 10 ** (_RARE_ZIPF - 9)
_STEMMER = snowballstemmer.stemmer("english")
_MISSING = object()
_MAX_CACHED = 100_000  # entries per cache; a long run clears and refills them
_CONTENT: dict[str, str | None] = {}  # token -> its content word (no possessive 's), or None
_STEMS: dict[str, str] = {}  # content word -> stem
_INFORMATION: dict[str, float] = {}  # content word -> -log10 of its English frequency


def _learn(token: str) -> str | None:
    """Classify a token not seen before: its content word, or None for filler, a frequent word,
    a bare number (numbers are typed facts) or a single letter."""
    word = token.removesuffix("'s")
    content = None
    if (
        len(word) > 1
        and word not in FILLER
        and not word.isdigit()
        and "'" not in word
        and _frequencies().get(word, 0.0) < _STOP_FREQUENCY
    ):
        content = word
    if len(_CONTENT) >= _MAX_CACHED:
        _CONTENT.clear()
    _CONTENT[token] = content
    return content


def _stem(word: str) -> str:
    """A content word's stem. The hot loops read `_STEMS` directly and call this on a miss."""
    if len(_STEMS) >= _MAX_CACHED:
        _STEMS.clear()
    stem = _STEMS[word] = _STEMMER.stemWord(word)
    return stem


def _stems(words: Sequence[str]) -> list[str]:
    known = _STEMS
    return [known.get(w) or _stem(w) for w in words]


def _information(word: str) -> float:
    information = _INFORMATION.get(word)
    if information is None:
        if len(_INFORMATION) >= _MAX_CACHED:
            _INFORMATION.clear()
        frequency = max(_frequencies().get(word, 0.0), _RARE_FREQUENCY)
        information = _INFORMATION[word] = -math.log10(frequency)
    return information


def stem_key(words: Sequence[str]) -> str:
    """The stems of content words, space-separated: how a span is compared and stored."""
    return " ".join(_stems(words))


def content_runs(lowered: str) -> tuple[tuple[Run, ...], tuple[Run, ...]]:
    """The content words of a lower-cased text in runs broken at punctuation (and at `|`, which
    callers write over the typed values they leave to the fact path); and the same without the
    runs of questions (sentences that end with "?"), which give no information."""
    runs: list[Run] = []
    stated: list[Run] = []
    sentence: list[Run] = []
    run: list[str] = []
    known = _CONTENT
    for token in _TOKEN.findall(lowered):
        if token in _MARKS:
            if run:
                sentence.append(" ".join(run))
                run = []
            if token in _SENTENCE_END and sentence:
                runs += sentence
                if token != "?":
                    stated += sentence
                sentence = []
            continue
        word = known.get(token, _MISSING)
        if word is _MISSING:
            word = _learn(token)
        if word is not None:
            run.append(word)  # type: ignore[arg-type]
    if run:
        sentence.append(" ".join(run))
    runs += sentence
    stated += sentence
    return tuple(runs), tuple(stated)


def stems_of(tokens: frozenset[str]) -> frozenset[str]:
    """The stems of the content words among `tokens` (a turn's `evals.text.tokens_of`): what a
    turn says, without reading it into runs."""
    words = []
    for token in tokens:
        word = _CONTENT.get(token, _MISSING)
        if word is _MISSING:
            word = _learn(token)
        if word is not None:
            words.append(word)
    return frozenset(_stems(words))  # type: ignore[arg-type]


def specificity(words: Sequence[str]) -> float:
    """How strongly restating these content words proves the listener lost them, in [0,
    `_MAX_SPECIFICITY`]: from their information, how unlikely they are to recur by chance."""
    excess = sum(_information(w) for w in words) - _INFORMATION_FLOOR
    return _MAX_SPECIFICITY * (1.0 - math.exp(-excess / _INFORMATION_SCALE)) if excess > 0 else 0.0


def locate(text: str, words: Sequence[str]) -> str:
    """The stretch of `text` from the first to the last of `words` ("Chromecast with Google TV"
    for chromecast, google, tv), or the words themselves when they cannot be found."""
    gap = r"[^.,;:!?()|/\"]*?"
    pattern = r"\b" + rf"\b{gap}\b".join(re.escape(w) for w in words) + r"(?:'s)?\b"
    found = re.search(pattern, text, re.IGNORECASE)
    return found.group(0) if found else " ".join(words)


class SpanOrigin(NamedTuple):
    """Where the customer said a span: the turn, its source (`conversation`, or `context[k]` for
    the k-th item of the earlier context) and the turn's text."""

    turn: int
    source: str
    said: str


class SpanMatch(NamedTuple):
    words: tuple[str, ...]  # the content words of the span, as the matched text has them
    origin: SpanOrigin  # where the customer said it (the latest mention)


@dataclass(frozen=True, slots=True)
class Restatement:
    """What of a reply the customer had already said."""

    surface: str  # the most specific restated span, as written in the reply
    key: str  # its stems
    origin: SpanOrigin
    specificity: float  # of that span
    coverage: float  # share of the reply's content that is restated


# The stems of an n-gram, space-separated -> the turn that said it last. Plain strings and ints,
# which the garbage collector does not track: transcripts keep theirs in a long-lived cache.
Grams = dict[str, int]


def grams_of(runs: tuple[Run, ...], turn: int, into: Grams) -> Grams:
    """Record in `into` every word n-gram (up to `_MAX_GRAM` = 3) of `runs` as said at `turn`."""
    for run in runs:
        stems = _stems(run.split(" "))
        for start, stem in enumerate(stems):
            into[stem] = turn
            if start >= 1:
                into[f"{stems[start - 1]} {stem}"] = turn
                if start >= 2:
                    into[f"{stems[start - 2]} {stems[start - 1]} {stem}"] = turn
    return into


class _Layer(NamedTuple):
    grams: Grams
    source: str  # `conversation` or `context[k]`
    turns: Sequence[Turn]  # where the text of a turn is looked up (rarely: only to quote it)

    def said(self, turn: int) -> str:
        return next((t.text for t in self.turns if t.index == turn), "")


class SpanMemory:
    """The word n-grams a customer has said, with where they said them: a layer per earlier
    transcript (shared with the transcript cache, never copied) and one for this conversation
    (`turns`), searched newest first."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        self._own = _Layer(Grams(), "conversation", turns)
        self._layers: list[_Layer] = [self._own]

    def layer(self, grams: Grams, source: str, turns: Sequence[Turn]) -> None:
        """Add the n-grams of an earlier source (`grams_of`) and its turns. The conversation's
        own layer stays the newest."""
        self._layers.insert(len(self._layers) - 1, _Layer(grams, source, turns))

    def add(self, runs: tuple[Run, ...], turn: int) -> None:
        """What the customer says in this conversation, at `turn`."""
        grams_of(runs, turn, self._own.grams)

    @property
    def own_grams(self) -> Grams:
        """This conversation's n-grams, to keep for its later stages."""
        return self._own.grams

    def __len__(self) -> int:
        return sum(len(layer.grams) for layer in self._layers)

    def _find(self, key: str) -> tuple[_Layer, int] | None:
        for layer in reversed(self._layers):
            turn = layer.grams.get(key)
            if turn is not None:
                return layer, turn
        return None

    def matches(self, runs: tuple[Run, ...], echo_tokens: frozenset[str] = frozenset()) -> list[SpanMatch]:
        """The longest remembered spans in `runs`, left to right, each with a word that the
        agent's question (its `evals.text.tokens_of`, `echo_tokens`) did not say. Echoed words
        may sit inside a restated span, as "plan" in "the family plan" after "What plan are you
        on?", but never make one up alone: "Is it still the family plan?" - "Yes, the family
        plan" restates the agent."""
        found: list[SpanMatch] = []
        echo: frozenset[str] | None = None  # their stems, read once a span is found
        for run in runs:
            words = run.split(" ")
            stems = _stems(words)
            i = 0
            while i < len(stems):
                # Every part of a remembered n-gram is remembered, so a span grows a word at a time.
                size, origin, key = 0, None, ""
                while size < _MAX_GRAM and i + size < len(stems):
                    longer = f"{key} {stems[i + size]}" if size else stems[i]
                    where = self._find(longer)
                    if where is None:
                        break
                    size, origin, key = size + 1, where, longer
                if origin is not None:
                    echo = stems_of(echo_tokens) if echo is None else echo
                    if not echo.issuperset(stems[i : i + size]):
                        layer, turn = origin
                        said = SpanOrigin(turn, layer.source, layer.said(turn))
                        found.append(SpanMatch(tuple(words[i : i + size]), said))
                        i += size
                        continue
                i += 1
        return found

    def restated(
        self, text: str, runs: tuple[Run, ...], echo_tokens: frozenset[str], typed_values: int = 0
    ) -> Restatement | None:
        """What a reply (`text`, its content `runs`, and `typed_values` values of typed kinds
        masked out of them) restates, beyond what the question (`echo_tokens`) said: its most
        specific restated span, and the share of the reply's content (words and typed values)
        that is restated. None when nothing is."""
        matched = self.matches(runs, echo_tokens)
        if not matched:
            return None
        content = sum(run.count(" ") + 1 for run in runs) + typed_values
        restated = sum(len(m.words) for m in matched)
        best = max(matched, key=lambda m: specificity(m.words))
        return Restatement(
            surface=locate(text, best.words),
            key=stem_key(best.words),
            origin=best.origin,
            specificity=specificity(best.words),
            coverage=restated / content,
        )
