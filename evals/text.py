"""Small text helpers shared by fact extraction and cue detection."""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Iterable
from typing import Any

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def literal_alternation(literals: Iterable[str]) -> str:
    """A regex group matching any of `literals`, as a prefix trie: "seven(?:teen)?" rather than
    "seventeen|seven". It matches the same strings and prefers the longer at one position, as a
    longest-first alternation does, but Python's `re` tries a flat alternation branch by branch
    at every position, and a trie rejects most positions at its first character."""
    tree: dict[str, dict] = {}
    for literal in literals:
        node = tree
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}

    def group(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + group(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return f"(?:{group(tree)})"


def words(*groups: str) -> frozenset[str]:
    """The whitespace-separated words of one or more strings, as a set (for word lists)."""
    return frozenset(w for group in groups for w in group.split())


# The words of politeness, assent, greeting, complaint and giving up: frequent in conversation,
# never a value the customer gives ("yes", "thanks", "hi", "I said ... already", "never mind,
# forget it").
FILLER = words(
    """yes yeah yep yup ya no nope nah ok okay alright sure please pls thanks thank thx cheers hi hello hey
    hiya bye goodbye welcome sorry great fine perfect cool awesome lovely nice excellent wonderful fantastic
    brilliant exactly correct right um uh er erm hmm oh ah actually basically literally anyway again already
    said told tell mentioned mention gave given give provided explained stated wrote asked ask repeat earlier
    before previously twice ago lol nevermind mind forget elsewhere"""
)


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def quote(text: str, limit: int = 160) -> str:
    """A turn shortened for evidence, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


_TOKEN = re.compile(r"[a-z]+|[0-9]|[@#$€£:]")
_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def lower(text: str) -> str:
    """Lower-case with typographic quotes made plain ("couldn’t" reads as "couldn't"); the
    length is unchanged for the quotes, so match positions still point into the turn."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_TYPOGRAPHIC)


UPPER = "<upper>"


def tokens_of(lowered: str, text: str | None = None) -> frozenset[str]:
    """The words of a lower-cased text, each digit and the symbols @ # $ € £ :, what gates test.
    Given the original `text` too, `UPPER` is added when it has a capital after its first
    character (names and places need one)."""
    tokens = _TOKEN.findall(lowered)
    if text is not None and text[1:] != lowered[1:]:
        tokens.append(UPPER)
    return frozenset(tokens)


_MAX_SELECTIONS = 4096

_CATEGORY_CLASSES = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_SPACE: r"\s"}
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _first_chars(items: Any) -> tuple[set[str] | None, bool]:
    """What the first character of a match of parsed regex `items` can be, as regex class items
    (None: anything), and whether the match can be empty. Over-approximates (lookarounds are
    skipped), so a class built from it never rejects a position where the regex could match."""
    first: set[str] = set()
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is sre.LITERAL:
            first.add(re.escape(chr(av)))
            return first, False
        if op is sre.IN:
            for item_op, value in av:
                if item_op is sre.LITERAL:
                    first.add(re.escape(chr(value)))
                elif item_op is sre.RANGE:
                    first.add(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
                elif item_op is sre.CATEGORY and value in _CATEGORY_CLASSES:
                    first.add(_CATEGORY_CLASSES[value])
                else:
                    return None, False  # a negated or unusual class: anything
            return first, False
        if op is sre.BRANCH:
            parts = [_first_chars(branch) for branch in av[1]]
        elif op is sre.SUBPATTERN and av[1] & re.IGNORECASE:
            return None, False  # "(?i:...)" in a case-sensitive pattern: give up rather than track case
        elif op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
            parts = [_first_chars(av[-1] if op is sre.SUBPATTERN else av)]
        elif op in _REPEATS:
            chars, empty = _first_chars(av[2])
            parts = [(chars, empty or av[0] == 0)]
        else:
            return None, False  # ANY, backreferences, ...: anything
        for chars, _ in parts:
            if chars is None:
                return None, False
            first |= chars
        if not any(empty for _, empty in parts):
            return first, False
    return first, True


def first_char_guard(alternatives: list[str], flags: int) -> str:
    """A lookahead that only lets through a position where one of `alternatives` could start,
    or "" when that cannot be told. At a word boundary before a space (a word's end) the regex
    engine would otherwise try every alternative in turn."""
    first: set[str] = set()
    for alternative in alternatives:
        try:
            chars, empty = _first_chars(sre_parse.parse(alternative, flags))
        except (re.error, TypeError, IndexError):
            return ""
        if chars is None or empty:
            return ""
        first |= chars
    return f"(?=[{''.join(sorted(first))}])"


class GatedAlternatives:
    """Named alternatives (one group per kind) that only tries the kinds whose gate passes.

    A gate is a set of tokens (see `tokens_of`) at least one of which every match of that kind
    contains, or a tuple of such sets that must all be met: a necessary condition, never a
    heuristic, so gating changes speed, not results. Each gate clause is a bit; a turn's tokens
    map to the bits they satisfy.

    The matches are those of one alternation of every kind, scanned left to right (at each
    position the first kind in order that matches wins, and the scan resumes at its end), but
    each kind is compiled once as a pattern of its own and a text is searched only with the
    kinds its gates let through, the leftmost of their next matches taken each time. Compiling
    one regex per combination of gates instead made real traffic, whose turns pass ever new
    combinations, spend most of its time in the regex compiler. A kind's alternatives that start
    with a word boundary are put under one leading `\\b` and a first-character guard, so a
    position inside a word or at the wrong letter is rejected with one test."""

    def __init__(
        self,
        kinds: dict[str, list[str]],
        gates: dict[str, frozenset[str] | tuple[frozenset[str], ...] | None],
        *,
        ignore_case: bool,
    ):
        if set(kinds) != set(gates):
            raise ValueError(f"gates {sorted(gates)} do not match kinds {sorted(kinds)}")
        flags = re.IGNORECASE if ignore_case else 0
        self._required: dict[str, int] = {}  # kind -> the bits of all its clauses
        self._bits_of_token: dict[str, int] = {}
        bit = 1
        for kind in kinds:
            gate = gates[kind]
            clauses = (gate,) if isinstance(gate, frozenset) else (gate or ())
            self._required[kind] = 0
            for clause in clauses:
                self._required[kind] |= bit
                for token in clause:
                    self._bits_of_token[token] = self._bits_of_token.get(token, 0) | bit
                bit <<= 1
        self._vocabulary = frozenset(self._bits_of_token)
        # The alternation's order: every kind's word-bounded part, then every kind's other part.
        bounded, free = [], []
        for kind, alternatives in kinds.items():
            inner = [alt[2:] for alt in alternatives if alt.startswith(r"\b")]
            outer = [alt for alt in alternatives if not alt.startswith(r"\b")]
            if inner:
                guard = first_char_guard(inner, flags)
                bounded.append((kind, re.compile(rf"\b{guard}(?:{'|'.join(inner)})", flags)))
            if outer:
                free.append((kind, re.compile("|".join(outer), flags)))
        for kind, pattern in bounded + free:
            if sre_parse.parse(pattern.pattern, flags).getwidth()[0] == 0:
                # An empty match would need the alternation's rule for resuming after one.
                raise ValueError(f"kind {kind!r} may match the empty string")
        self._units = tuple(bounded + free)
        self._by_bits: dict[tuple[int, frozenset[str] | None], tuple[tuple[str, re.Pattern[str]], ...]] = {}
        self._last: tuple[frozenset[str] | None, int] = (None, 0)

    def _units_for(self, bits: int, only: frozenset[str] | None) -> tuple[tuple[str, re.Pattern[str]], ...]:
        key = (bits, only)
        try:
            return self._by_bits[key]
        except KeyError:
            # Worker threads may race here; at worst a selection is made twice.
            if len(self._by_bits) >= _MAX_SELECTIONS:
                self._by_bits.clear()  # bound the memory of a long run; selecting is cheap
            required = self._required
            units = self._by_bits[key] = tuple(
                (kind, pattern)
                for kind, pattern in self._units
                if required[kind] & bits == required[kind] and (only is None or kind in only)
            )
            return units

    def _bits(self, tokens: frozenset[str]) -> int:
        """The gate clauses `tokens` satisfy. The last answer is kept: a turn's tokens gate
        several scans (each sentence's, then the whole turn's)."""
        last = self._last  # one tuple, read and written whole, so threads never see half of it
        if last[0] is tokens:
            return last[1]
        bits = 0
        for token in tokens & self._vocabulary:
            bits |= self._bits_of_token[token]
        self._last = (tokens, bits)
        return bits

    def finditer(
        self, text: str, tokens: frozenset[str], only: frozenset[str] | None = None
    ) -> list[tuple[str, re.Match[str]]]:
        """(kind, match) for every match in `text`, gated by the text's `tokens` (and limited to
        the kinds in `only`, when given), in order. A list: callers read them all."""
        found: list[tuple[str, re.Match[str]]] = []
        # [next match, kind, pattern] of each kind that matches at all: a kind with no match
        # from the start has none further on, so most kinds drop out after one search.
        upcoming = []
        for kind, pattern in self._units_for(self._bits(tokens), only):
            match = pattern.search(text)
            if match is not None:
                upcoming.append([match, kind, pattern])
        while len(upcoming) > 1:
            best = upcoming[0]
            for candidate in upcoming:
                # Strictly leftmost: at one position the earlier kind in the alternation wins.
                if candidate[0].start() < best[0].start():
                    best = candidate
            found.append((best[1], best[0]))
            end = best[0].end()
            for candidate in upcoming:
                if candidate[0].start() < end:
                    candidate[0] = candidate[2].search(text, end)
            upcoming = [candidate for candidate in upcoming if candidate[0] is not None]
        if upcoming:
            match, kind, pattern = upcoming[0]
            while match is not None:
                found.append((kind, match))
                match = pattern.search(text, match.end())
        return found
