"""Fact extraction, value equivalence across paraphrases, and what an agent asks for."""

from __future__ import annotations

import pytest

from evals.facts import extract_facts, requested_kinds, same_fact


def _one(text: str, kind: str):
    facts = [f for f in extract_facts(text) if f.kind == kind]
    assert len(facts) == 1, (text, facts)
    return facts[0]


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ("Book it at 13:30 please", "make it half past 1 in the afternoon", "time"),
        ("around a quarter to 6 in the evening", "5:45 pm works", "time"),
        ("on March 5th", "the 5th of march", "date"),
        ("the 12th", "December 12", "date"),
        ("email me at Ann.Lee@Example.com", "it's ann.lee@example.com", "email"),
        ("call 415-502-8336", "my number is (415) 502 8336", "phone"),
        ("order number AB-12345", "the order is AB12345", "id"),
        ("it cost $45.50", "45.50 dollars", "amount"),
        ("a table for four", "4 people", "count"),
        ("I live in San Francisco", "in Francisco", "place"),
    ],
)
def test_paraphrases_of_one_value_are_the_same_fact(first: str, second: str, kind: str) -> None:
    assert same_fact(_one(first, kind), _one(second, kind))


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ("at 13:30", "at 2:30 pm", "time"),
        ("on March 5th", "on April 5th", "date"),
        ("fly to San Jose", "fly to San Francisco", "place"),
        ("next Monday", "next Tuesday", "date"),
    ],
)
def test_different_values_are_different_facts(first: str, second: str, kind: str) -> None:
    assert not same_fact(_one(first, kind), _one(second, kind))


def test_a_preference_does_not_swallow_the_time_inside_it() -> None:
    kinds = {f.kind for f in extract_facts("I would prefer 12:30 pm, I like window seats")}
    assert {"time", "preference"} <= kinds


def test_plain_words_are_not_facts() -> None:
    assert extract_facts("the first restaurant is fine, someone told me it is good") == []


@pytest.mark.parametrize(
    ("sentence", "kinds"),
    [
        ("What time works for you?", {"time"}),
        ("When are you checking in?", {"date", "time"}),
        ("Could you give me your email address?", {"email"}),
        ("Please tell me your account number.", {"id"}),
        ("How many guests?", {"count"}),
        ("Which city are you flying from?", {"place"}),
        ("What kind of food do you like?", {"preference"}),
        ("What genres do you like?", {"preference"}),
        ("Which categories are you interested in?", {"preference"}),
        ("What do you enjoy watching?", {"preference"}),
        ("What would you like to do today?", set()),
        ("Your table is booked.", set()),
    ],
)
def test_requested_kinds(sentence: str, kinds: set[str]) -> None:
    assert requested_kinds(sentence) == kinds
