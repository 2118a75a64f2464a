"""Customer cues: the family of ways a customer says they already gave something."""

from __future__ import annotations

import pytest

from evals.cues import customer_cues
from evals.text import lower, tokens_of


def _cues(text: str) -> frozenset[str]:
    lowered = lower(text)
    return customer_cues(lowered, tokens_of(lowered, text))


@pytest.mark.parametrize(
    "said",
    [
        "I said sci-fi and documentaries already.",
        "As I said, the family plan.",
        "Like I said, it's the blue one.",
        "I already said that.",
        "I told you, it's the Chromecast.",
        "I mentioned that earlier.",
        "I gave you my email before.",
        "I've already given you the order number.",
        "I just told you!",
        "Again? It's 555-201-3344.",
        "My address, again?",
        "How many times do I have to tell you?",
        "You asked me that already.",
        "You already asked for it.",
        "Didn't I just tell you?",
        "For the third time, it's Maria.",
        "No, I said Tuesday.",
        "sci-fi and documentaries, I told the last agent",
        "I already explained this to the previous person.",
        "I gave it to the other agent an hour ago.",
        "I explained all of that to your colleague.",
    ],
)
def test_the_already_told_you_family_is_a_repeat_complaint(said: str) -> None:
    assert "repeat_complaint" in _cues(said)


@pytest.mark.parametrize(
    "said",
    [
        "Can you say that again?",
        "Could you repeat that again?",
        "How many times can I reschedule?",
        "Do I need to restart it again?",
        "Yes, that's right.",
        "I said goodbye to the technician and he left.",
        "Thanks, you asked the right questions.",
        "I told the agent at the store I wanted a refund.",
        "I gave the first one to my son.",
    ],
)
def test_ordinary_replies_are_not_a_repeat_complaint(said: str) -> None:
    assert "repeat_complaint" not in _cues(said)
