"""Text helpers: a literal alternation compiled as a prefix trie matches like the flat one."""

from __future__ import annotations

import random
import re

import pytest

from evals.text import GatedAlternatives, first_char_guard, literal_alternation


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


@pytest.mark.parametrize("seed", range(20))
def test_gated_kinds_match_what_one_alternation_of_all_kinds_matches(seed: int) -> None:
    # Overlapping kinds, some word-bounded and some not, scanned kind by kind: the matches (and
    # which kind wins at a shared position) are those of the single alternation, in order.
    rng = random.Random(seed)
    kinds = {
        f"k{i}": [
            (r"\b" if rng.random() < 0.6 else "")
            + "".join(rng.choice("ab") for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 3))
        ]
        for i in range(4)
    }
    gated = GatedAlternatives(kinds, dict.fromkeys(kinds), ignore_case=False)
    # The alternation puts every kind's word-bounded alternatives first, under one "\\b".
    bounded = [
        f"(?P<{k}>{'|'.join(a[2:] for a in alts if a.startswith(chr(92)))})" for k, alts in kinds.items()
    ]
    free = [
        f"(?P<{k}__>{'|'.join(a for a in alts if not a.startswith(chr(92)))})" for k, alts in kinds.items()
    ]
    one = re.compile(
        "|".join(
            [rf"\b(?:{'|'.join(b for b in bounded if not b.endswith('>)'))})"]
            + [f for f in free if not f.endswith(">)")]
        )
    )
    for _ in range(50):
        text = "".join(rng.choice("ab ") for _ in range(30))
        expected = [(m.lastgroup.rstrip("_"), m.span()) for m in one.finditer(text)]
        assert [(kind, m.span()) for kind, m in gated.finditer(text, frozenset())] == expected
