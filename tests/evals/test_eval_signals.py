"""The domain-general signals the learned evaluators read, on dialogues written for these tests."""

from __future__ import annotations

import pytest

from evals import ConversationResolution, CustomerAgentContextRetention, CustomerAgentConversationQuality
from evals.analysis import analyse
from evals.cues import agent_cues, customer_cues
from evals.facts import extract_facts
from evals.local.signals import NAMES, read
from evals.sentiment import compound
from evals.text import lower, tokens_of


def _agent_kinds(text: str) -> set[str]:
    lowered = lower(text)
    return {c.kind for c in agent_cues(lowered, tokens_of(lowered, text))}


def _customer_kinds(text: str) -> frozenset[str]:
    lowered = lower(text)
    return customer_cues(lowered, tokens_of(lowered, text))


def _turns(*texts: str) -> list[dict[str, str]]:
    """Alternating turns, the customer first."""
    return [{"role": "customer" if i % 2 == 0 else "agent", "content": t} for i, t in enumerate(texts)]


def test_closing_sentiment_reads_vaders_lexicon_with_negation_and_but() -> None:
    assert compound("thanks, that was really helpful!") > 0.5
    assert compound("this is terrible and i am angry") < -0.5
    assert compound("this is not good") < 0 < compound("this is good")
    # A negation does not reach past the end of its clause.
    assert compound("it does not load, great support though") > compound("it does not load, great")
    # "but" shifts the weight to what follows.
    assert compound("the agent was nice but the problem is awful") < 0
    assert compound("") == 0.0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Please send us your account details via private message.", "deflection"),
        ("For this you need to call our service hotline.", "deflection"),
        ("You can visit the nearest store for a replacement.", "deflection"),
        ("We will contact you once the engineers have checked it.", "promise"),
        ("Thank you for your feedback, we will constantly improve our service.", "placation"),
        ("Please restart the router and try again.", "instruction"),
        ("You can go to Settings and switch the option off.", "instruction"),
    ],
)
def test_agent_cues_for_deflection_promises_placation_and_instructions(text: str, kind: str) -> None:
    assert kind in _agent_kinds(text)


def test_an_answer_with_an_outcome_is_not_a_deflection() -> None:
    assert "deflection" not in _agent_kinds("Your refund has been processed.")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I will complain to the consumer association about this.", "threat"),
        ("If this goes on I will cancel my contract.", "threat"),
        ("I will never buy from you again.", "threat"),
        ("OK, I see. I'll try that tonight.", "acknowledge"),
        ("It's working now, thanks.", "satisfied"),
        ("I restarted it and it's back to normal.", "satisfied"),
        ("No problems since yesterday.", "satisfied"),
        ("It still keeps dropping the connection.", "persists"),
    ],
)
def test_customer_cues_for_threats_acknowledgement_and_a_solved_problem(text: str, kind: str) -> None:
    assert kind in _customer_kinds(text)


def _signals(*texts: str):
    return read(analyse(_turns(*texts))).signals


def test_signals_record_the_turn_behind_each_one_that_fired() -> None:
    signals = _signals(
        "My parcel never arrived and the tracking page shows nothing.",
        "We are sorry for the inconvenience.",
        "So where is my parcel?",
        "We apologise again for the trouble. Please send us a private message.",
        "My parcel never arrived, I already said the tracking page shows nothing. Why?",
    )
    assert signals.value("apology_loop") == 1.0 and signals.turns["apology_loop"] == 3
    assert signals.value("deflection") == 1.0 and signals.turns["deflection"] == 3
    assert signals.value("unanswered_question") == 1.0 and signals.turns["unanswered_question"] == 4
    assert signals.value("customer_ended") == 1.0 and signals.value("closing_question") == 1.0
    assert signals.value("restated") > 0.5 and signals.turns["restated"] == 4
    assert signals.value("repeat_complaint") == 1.0
    assert len(signals.values) == len(NAMES)


def test_a_thankful_short_close_reads_the_other_way() -> None:
    signals = _signals(
        "My parcel never arrived.",
        "Please check the tracking link in your confirmation email; it was left with a neighbour.",
        "Got it, thanks!",
    )
    assert signals.value("closing_thanks") == 1.0 and signals.value("closing_acknowledged") == 1.0
    assert signals.value("closing_sentiment") > 0.3 and signals.value("restated") == 0.0
    assert signals.value("unanswered_question") == 0.0 and signals.value("apology_loop") == 0.0


def test_resolution_explains_itself_with_the_closing_turn() -> None:
    result = ConversationResolution().evaluate(
        output=_turns(
            "My internet keeps dropping every evening.",
            "Sorry to hear that. Please send us a private message with your account.",
            "I did, two days ago. It still drops every evening and nobody answers. Why?",
        )
    )
    assert result.passed is False and result.reason.startswith(("Not resolved", "Probably not resolved"))
    notes = {e.note for e in result.evidence}
    assert any(e.turn == 2 for e in result.evidence)
    assert notes & {
        "the customer's closing turn asks a question",
        "the customer's closing turn reads negative",
        "problem persists",
        "the agent sent the customer to another channel",
    }


def test_a_solved_problem_without_an_outcome_notice_is_resolved() -> None:
    result = ConversationResolution().evaluate(
        output=_turns(
            "The app crashes when I open my statements.",
            "Please update the app to the latest version and restart your phone.",
            "Done, it works now. Thank you!",
        )
    )
    assert result.passed is True and result.reason.startswith(("Resolved", "Probably resolved"))
    assert any(e.turn == 2 for e in result.evidence)


def test_a_hand_over_caps_resolution_whatever_the_closing_turn_says() -> None:
    result = ConversationResolution().evaluate(
        output=_turns(
            "I want to dispute a charge.",
            "I'm transferring you to our billing team, they will handle the dispute.",
            "Great, thank you so much!",
        )
    )
    assert result.passed is False and "handed over" in result.reason


def test_quality_names_its_reasons_and_maps_the_rating() -> None:
    poor = CustomerAgentConversationQuality().evaluate(
        output=_turns(
            "My order 55123 is late.",
            "We are sorry. Please call our hotline.",
            "I called twice. This is useless, I will cancel my account.",
            "We apologise for the inconvenience.",
            "Unbelievable. Still nothing.",
        )
    )
    good = CustomerAgentConversationQuality().evaluate(
        output=_turns(
            "My order 55123 is late.",
            "I checked: it was delayed at the depot and has been dispatched today; you will receive it tomorrow.",
            "Great, thanks a lot!",
        )
    )
    assert poor.score is not None and good.score is not None and poor.score < good.score - 0.2
    assert poor.reason.startswith("Quality") and ":" in poor.reason
    assert poor.evidence


@pytest.mark.parametrize(
    "conversation",
    [[{"role": "agent", "content": "Hello, how can I help?"}], [{"role": "customer", "content": "Hello?"}]],
)
def test_no_customer_turn_or_too_short_stays_not_applicable(conversation) -> None:
    for evaluator in (ConversationResolution(), CustomerAgentConversationQuality()):
        result = evaluator.evaluate(output=conversation)
        assert result.status == "not_applicable" and "Too short" in result.reason


# --- redaction placeholders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "kind"),
    [("[EMAIL]", "email"), ("[PHONE]", "phone"), ("[CARD]", "id"), ("[IBAN]", "id"), ("[ADDRESS]", "place")],
)
def test_a_redaction_placeholder_is_a_fact_of_its_type(placeholder: str, kind: str) -> None:
    facts = extract_facts(f"Sure, it is {placeholder}.")
    assert [f.kind for f in facts] == [kind]


@pytest.mark.parametrize(
    ("given", "question", "answer"),
    [
        ("my email is [EMAIL]", "What is your email address?", "[EMAIL]"),
        ("you can call me on [PHONE]", "What's the best phone number to reach you?", "It's [PHONE]."),
        ("the card [CARD] was charged twice", "Could you give me the card number?", "[CARD]"),
        ("I moved to [ADDRESS] last month", "What is your address?", "[ADDRESS]"),
    ],
)
def test_a_re_asked_redacted_value_is_still_a_re_ask(given: str, question: str, answer: str) -> None:
    conversation = _turns(f"Hi, {given} and I need help with my bill.", question, answer, "Thanks, noted.")
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is False and "Context lost" in result.reason
    assert any(e.note == "re-ask" and e.turn == 1 for e in result.evidence)


def test_a_placeholder_of_another_type_is_not_a_re_ask() -> None:
    conversation = _turns("Hi, my email is [EMAIL].", "What's your phone number?", "[PHONE]", "Thanks.")
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True
