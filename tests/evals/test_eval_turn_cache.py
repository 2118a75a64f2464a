"""The per-text turn cache (`evals.analysis.TURN_CACHE`) changes the time, never the analysis."""

from __future__ import annotations

import pytest

from evals.analysis import TURN_CACHE, ConversationAnalysis, analyse


def _cold(conversation: list[dict[str, str]]) -> ConversationAnalysis:
    TURN_CACHE.clear()
    return analyse(conversation)


# The same customer text is a bare order code in reply to "What is your order number?" (a typed
# value, left out of the reply's content words) and a word of content after any other question.
_CODE = "A471"
_ASKED_FOR_IT = [
    {"role": "customer", "content": "My parcel never came."},
    {"role": "agent", "content": "What is your order number?"},
    {"role": "customer", "content": _CODE},
    {"role": "agent", "content": "Thanks, it ships today."},
]
_NOT_ASKED = [
    {"role": "customer", "content": "My parcel never came."},
    {"role": "agent", "content": "Sorry about that, what happened?"},
    {"role": "customer", "content": _CODE},
    {"role": "agent", "content": "I see. It ships today."},
]


@pytest.mark.parametrize(("first", "second"), [(_ASKED_FOR_IT, _NOT_ASKED), (_NOT_ASKED, _ASKED_FOR_IT)])
def test_a_text_read_before_in_another_place_gives_the_same_analysis(first, second) -> None:
    expected = _cold(second)
    TURN_CACHE.clear()
    analyse(first)
    analyse(first)  # a text is kept from its second reading on: the cache now holds `first`'s
    assert analyse(second) == expected


def test_a_bare_code_is_a_fact_only_where_it_answers_a_question_for_it() -> None:
    asked, not_asked = _cold(_ASKED_FOR_IT), _cold(_NOT_ASKED)
    assert [g.fact.kind for g in asked.given] == ["id"]
    assert not not_asked.given
    # Left to the fact path where it is an id, a content word where it is not.
    assert asked.details < not_asked.details
