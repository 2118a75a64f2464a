"""Content spans: what counts as content, how specific a restated span is, and what matches."""

from __future__ import annotations

from evals.spans import SpanMemory, content_runs, specificity
from evals.text import lower, tokens_of
from evals.types import Turn


def _words(text: str) -> list[str]:
    runs, _ = content_runs(lower(text))
    return [w for run in runs for w in run.split(" ")]


def test_filler_function_words_and_numbers_are_not_content() -> None:
    assert _words("Yes, thanks! I said it already: 42 of them, hi.") == []
    assert _words("I have a Chromecast with Google TV") == ["chromecast", "google", "tv"]


def test_questions_are_left_out_of_what_a_reply_states() -> None:
    runs, stated = content_runs(lower("Is it the router? The modem blinks."))
    assert runs == ("router", "modem blinks") and stated == ("modem blinks",)


def test_rare_multi_word_names_are_more_specific_than_everyday_words() -> None:
    def spec(text: str) -> float:
        return specificity(_words(text))

    assert spec("hotel") == 0.0  # an everyday word proves nothing on its own
    assert spec("help me find") < spec("Unlimited Plus") < spec("Chromecast with Google TV") <= 0.9


def test_a_reply_restating_a_span_matches_it_by_stem_with_its_origin() -> None:
    earlier = (Turn(0, "customer", "I'm searching for Dyson vacuums"),)
    memory = SpanMemory(earlier)
    memory.add(content_runs(lower(earlier[0].text))[0], 0)
    reply = "It is a dyson vacuum, the V11."
    restated = memory.restated(reply, content_runs(lower(reply))[1], frozenset())
    assert restated is not None
    assert restated.surface == "dyson vacuum" and restated.origin.said == earlier[0].text
    assert restated.coverage == 2 / 3  # dyson, vacuum restated; v11 is new


def test_words_the_question_said_do_not_make_a_restatement_alone() -> None:
    memory = SpanMemory((Turn(0, "customer", "we are on the family plan"),))
    memory.add(content_runs("we are on the family plan")[0], 0)
    question = lower("Is that still the family plan?")
    assert memory.restated("the family plan", content_runs("the family plan")[1], tokens_of(question)) is None
    # Echoed words may still sit inside a span the question did not say in full.
    asked = tokens_of(lower("Which plan are you on?"))
    restated = memory.restated("the family plan", content_runs("the family plan")[1], asked)
    assert restated is not None and restated.surface == "family plan"
