"""Text helpers: a literal alternation compiled as a prefix trie matches like the flat one."""

from __future__ import annotations

import random
import re

import pytest

from evals.text import first_char_guard, literal_alternation


@pytest.mark.parametrize("seed", range(20))
def test_a_trie_alternation_matches_what_a_longest_first_alternation_matches(seed: int) -> None:
    rng = random.Random(seed)
    words = {"".join(rng.choice("abc") for _ in range(rng.randint(1, 4))) for _ in range(12)}
    flat = re.compile("(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")")
    trie = re.compile(literal_alternation(words))
    for _ in range(50):
        text = "".join(rng.choice("abc ") for _ in range(30))
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]
        # Backtracking into the group finds the same shorter alternatives too.
        anchored = "(?:{})c"
        assert [m.span() for m in re.finditer(anchored.format(trie.pattern), text)] == [
            m.span() for m in re.finditer(anchored.format(flat.pattern), text)
        ]


@pytest.mark.parametrize(
    "alternatives",
    [
        [r"a*b", r"c"],  # can start with a or b (a* may be empty), or c
        [r"(?:no|n't)\s+x", r"'s\b", r"[0-9]{2}:\d"],
        [r"(?-i:[A-Z])\w+", r"x(?=y)y", r"(?:ab|)c"],
        [r"[\w.+-]+@\w+"],
    ],
)
def test_the_first_character_guard_never_changes_what_matches(alternatives: list[str]) -> None:
    guard = first_char_guard(alternatives, re.IGNORECASE)
    assert guard  # all of these start with a character the guard can name
    plain = re.compile(rf"\b(?:{'|'.join(alternatives)})", re.IGNORECASE)
    guarded = re.compile(rf"\b{guard}(?:{'|'.join(alternatives)})", re.IGNORECASE)
    rng = random.Random(len(alternatives))
    for _ in range(300):
        text = "".join(rng.choice("abcxyABCXY019 :.@+-'ns't") for _ in range(25))
        assert [m.span() for m in guarded.finditer(text)] == [m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("alternatives", [[r"a", r"x*"], [r"a", r".b"], [r"[^a]b"], [r"(?i:a)b"]])
def test_no_guard_when_an_alternative_may_be_empty_or_start_with_anything(alternatives: list[str]) -> None:
    assert first_char_guard(alternatives, 0) == ""
