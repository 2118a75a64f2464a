"""Text helpers: a literal alternation compiled as a prefix trie matches like the flat one."""

from __future__ import annotations

import random
import re

import pytest

from evals.text import literal_alternation


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
