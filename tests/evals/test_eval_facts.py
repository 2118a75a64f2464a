"""Fact extraction, value equivalence across paraphrases, and what an agent asks for."""

from __future__ import annotations

import pytest

from evals.facts import bare_id, extract_facts, requested_kinds, same_fact


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


# --- preferences stated in ordinary words ------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("I want to watch sci-fi and documentaries", {"sci-fi", "documentaries"}),
        ("I mostly watch horror movies and anime", {"horror", "movies", "anime"}),
        ("We usually listen to jazz and bossa nova", {"jazz", "bossa", "nova"}),
        ("honestly I watch a lot of cooking shows", {"cooking", "shows"}),
        ("I mainly read fantasy novels", {"fantasy", "novels"}),
        ("we often eat vegetarian", {"vegetarian"}),
        ("I'm in the mood for a thriller", {"thriller"}),
        ("I'd like to stream some stand-up comedy tonight", {"stand-up", "comedy", "tonight"}),
    ],
)
def test_a_habit_or_a_wish_to_watch_states_a_preference(said: str, words: set[str]) -> None:
    assert words <= _one(said, "preference").key


@pytest.mark.parametrize(
    "said",
    [
        "I read the manual but the router still drops.",  # a past event, not a habit
        "When I play the video it freezes.",  # a bug report
        "I want to book a table for two.",
        "I'd like a refund please.",
    ],
)
def test_events_and_requests_are_not_preferences(said: str) -> None:
    assert not [f for f in extract_facts(said) if f.kind == "preference"]


# --- ids, however short, when they are named as ids ----------------------------------------------


@pytest.mark.parametrize(
    ("said", "key"),
    [
        ("my order 12345 did not arrive", "12345"),
        ("my order 1234 did not arrive", "1234"),
        ("order no. 123 is late", "123"),
        ("account # 4471 was charged twice", "4471"),
        ("Order #4471 never came", "4471"),
        ("the booking reference is 7781", "7781"),
        ("my zip code is 02139", "02139"),
        ("account number is 55-123", "55123"),
    ],
)
def test_a_number_named_as_an_order_account_or_booking_number_is_an_id(said: str, key: str) -> None:
    assert _one(said, "id").key == key


@pytest.mark.parametrize(
    "said", ["I want to order 100 units", "please order 1000 units", "order 12 is fine", "ticket 300"]
)
def test_a_quantity_or_a_short_unnamed_number_is_not_an_id(said: str) -> None:
    assert not [f for f in extract_facts(said) if f.kind == "id"]


@pytest.mark.parametrize(
    ("reply", "key"),
    [
        ("12345", "12345"),
        ("it's 4471.", "4471"),
        ("#4471", "4471"),
        ("123, I think", "123"),
        ("ab-1234", "AB1234"),
    ],
)
def test_a_bare_code_in_a_reply_reads_as_an_id(reply: str, key: str) -> None:
    found = bare_id(reply, extract_facts(reply))
    assert found is not None and found.kind == "id" and found.key == key


@pytest.mark.parametrize(
    "reply", ["It costs $45", "at 10:30", "the 5th", "4.50", "12", "555-201-3344", "no idea"]
)
def test_amounts_times_dates_phones_and_short_numbers_are_no_bare_id(reply: str) -> None:
    assert bare_id(reply, extract_facts(reply)) is None


def test_a_table_for_a_clock_time_is_a_time_not_a_party_size() -> None:
    assert [f.kind for f in extract_facts("Please book the table for 12:45 pm.")] == ["time"]
    assert _one("a table for 4 at 7pm", "count").key == 4


def test_a_booking_reference_is_asked_as_an_id() -> None:
    assert requested_kinds("What is the booking reference?") == {"id"}
