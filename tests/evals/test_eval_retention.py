"""CustomerAgentContextRetention (local engine): re-asks within a conversation and across stages."""

from __future__ import annotations

import pytest

from evals import CustomerAgentContextRetention, evaluate

RETENTION = "customer_agent_context_retention"

EARLIER_STAGE = [
    {
        "role": "customer",
        "content": "I'd like to sign up. My email is maria.k@example.org and I prefer evening deliveries.",
    },
    {"role": "agent", "content": "Thanks Maria, your account has been created."},
]


def test_reask_within_a_conversation_fails_with_both_turns_as_evidence() -> None:
    conversation = [
        {"role": "user", "content": "Hi, my order AB12345 arrived damaged."},
        {"role": "assistant", "content": "Sorry to hear that. What is your order number?"},
        {"role": "user", "content": "AB12345, as I said."},
        {"role": "assistant", "content": "Thanks, a replacement has been sent."},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "completed" and result.passed is False
    notes = {(e.turn, e.note) for e in result.evidence}
    assert {(1, "re-ask"), (0, "first given"), (2, "given again")} <= notes
    assert "turn 1" in result.reason and "reference number" in result.reason


def test_reask_across_stages_uses_the_earlier_transcript_as_input() -> None:
    handoff = [
        {"role": "agent", "content": "Welcome to payments. What's your email address?"},
        {"role": "customer", "content": "It's maria.k@example.org"},
        {"role": "agent", "content": "Your payment method has been added."},
    ]
    with_context = CustomerAgentContextRetention().evaluate(input=[EARLIER_STAGE], output=handoff)
    assert with_context.passed is False
    assert any(e.source == "context[0]" and e.note == "first given" for e in with_context.evidence)
    assert "earlier stage" in with_context.reason
    # The same conversation judged alone has nothing the agent should have known.
    with_an_empty_stage = CustomerAgentContextRetention().evaluate(input=[[], EARLIER_STAGE], output=handoff)
    assert with_an_empty_stage.score == with_context.score
    alone = CustomerAgentContextRetention().evaluate(output=handoff)
    assert alone.score is not None and with_context.score is not None and alone.score > with_context.score


def test_a_list_of_facts_is_accepted_as_earlier_context() -> None:
    handoff = (
        "Agent: Which email should we use?\nCustomer: maria.k@example.org\nAgent: Done, it has been updated."
    )
    result = evaluate(
        RETENTION, conversation=handoff, input=["email: maria.k@example.org", "prefers evening calls"]
    )
    assert result.passed is False and any(e.source == "context" for e in result.evidence)


def test_proposing_the_earlier_value_is_good_retention_not_a_reask() -> None:
    handoff = [
        {"role": "agent", "content": "Shall we send the receipt to maria.k@example.org?"},
        {"role": "customer", "content": "Yes please."},
        {"role": "agent", "content": "Done, it has been sent."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[EARLIER_STAGE], output=handoff)
    assert result.passed is True and result.score == 1.0
    assert any(e.note == "reused earlier detail" for e in result.evidence)


def test_asking_for_a_new_value_of_the_same_kind_is_at_most_a_weak_signal() -> None:
    conversation = (
        "Customer: I'd like to check in on March 3rd.\nAgent: And when will you check out?\n"
        "Customer: On March 6th.\nAgent: Your room has been booked."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and result.score is not None and result.score > 0.8


def test_customer_complaint_counts_as_a_reask() -> None:
    conversation = (
        "Customer: My phone number is 555-201-3344.\nAgent: Could I have a contact number?\n"
        "Customer: I already told you that!\nAgent: Apologies."
    )
    assert CustomerAgentContextRetention().evaluate(output=conversation).passed is False


def test_nothing_to_retain_is_not_applicable() -> None:
    result = CustomerAgentContextRetention().evaluate(output="Customer: hello\nAgent: Hi! How can I help?")
    assert result.status == "not_applicable" and result.score is None


# --- generalisation: preferences, untyped values, and what is not a re-ask --------------------


def test_a_preference_asked_again_at_the_next_stage_is_a_cross_stage_reask() -> None:
    result = CustomerAgentContextRetention().evaluate(
        input=[[{"role": "customer", "content": "I like sci-fi and documentaries."}]],
        output=[
            {"role": "agent", "content": "Welcome to setup! What genres do you like?"},
            {"role": "customer", "content": "I said sci-fi and documentaries already."},
        ],
    )
    assert result.status == "completed" and result.passed is False
    assert any(e.note == "first given" and e.source == "context[0]" for e in result.evidence)
    assert any(e.turn == 0 and e.note.endswith("across stages") for e in result.evidence)
    assert "earlier stage" in result.reason


DEVICE_STAGE = [
    {
        "role": "customer",
        "content": "I just bought a Chromecast with Google TV and want to add your streaming app.",
    },
    {
        "role": "agent",
        "content": "Great choice. I've created your account; the install team will take it from here.",
    },
]


def test_an_untyped_value_from_the_earlier_stage_restated_on_request_is_a_reask() -> None:
    handoff = [
        {"role": "agent", "content": "Hi, I'm from the install team. Which streaming device are you using?"},
        {"role": "customer", "content": "The Chromecast with Google TV."},
        {"role": "agent", "content": "Thanks, the app has been installed."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[DEVICE_STAGE], output=handoff)
    assert result.passed is False
    assert any(e.note == "re-ask across stages" and e.turn == 0 for e in result.evidence)
    assert any(e.note == "first given" and e.source == "context[0]" for e in result.evidence)
    assert "Chromecast with Google TV" in result.reason
    # Judged without the earlier stage, nothing was asked again.
    assert CustomerAgentContextRetention().evaluate(output=handoff).score == 1.0


@pytest.mark.parametrize(
    ("first", "question", "reply"),
    [
        (
            "I'm on the Unlimited Plus plan and want to add a line for my son.",
            "Sure. What plan are you on at the moment?",
            "Unlimited Plus.",
        ),
        (
            "my dyson v11 vacuum stopped charging last week",
            "Sorry to hear that! Which model do you have?",
            "a dyson v11",
        ),
    ],
)
def test_an_untyped_value_restated_within_the_conversation_is_a_reask(
    first: str, question: str, reply: str
) -> None:
    conversation = [
        {"role": "customer", "content": first},
        {"role": "agent", "content": question},
        {"role": "customer", "content": reply},
        {"role": "agent", "content": "Thank you, I have updated your request."},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is False
    assert {(1, "re-ask"), (0, "first given"), (2, "given again")} <= {
        (e.turn, e.note) for e in result.evidence
    }


def test_a_value_the_agent_proposes_for_confirmation_is_retention_not_a_reask() -> None:
    handoff = [
        {"role": "agent", "content": "Welcome back! Is that still the family plan?"},
        {"role": "customer", "content": "Yes, the family plan."},
        {"role": "agent", "content": "Perfect, your new line has been added to the family plan."},
    ]
    earlier = [
        {"role": "customer", "content": "We're on the family plan and need one more line."},
        {"role": "agent", "content": "Noted, I'll pass you to activations."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[earlier], output=handoff)
    assert result.status == "completed" and result.score == 1.0
    assert not any("re-ask" in e.note for e in result.evidence)


def test_repeated_pleasantries_are_not_restated_details() -> None:
    conversation = [
        {"role": "customer", "content": "Hi there, thanks! Yes, I need some help with my printer."},
        {"role": "agent", "content": "Of course. What seems to be the problem?"},
        {"role": "customer", "content": "Hi, yes, thanks: the paper tray jams on every page."},
        {"role": "agent", "content": "Thanks, a replacement tray has been ordered."},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "completed" and result.score == 1.0


def test_a_topic_word_inside_a_new_answer_is_at_most_a_weak_signal() -> None:
    conversation = [
        {"role": "customer", "content": "My router keeps dropping the connection every evening."},
        {"role": "agent", "content": "What do you see on the front panel when it drops?"},
        {"role": "customer", "content": "The router shows a blinking red light next to the globe icon."},
        {"role": "agent", "content": "Thanks, a technician visit has been booked."},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and result.score is not None and result.score > 0.9


def test_the_agent_repeating_a_value_is_not_the_customer_restating_it() -> None:
    conversation = [
        {"role": "customer", "content": "I want to cancel my Premium Sports package."},
        {"role": "agent", "content": "I can cancel the Premium Sports package. Why are you cancelling?"},
        {"role": "customer", "content": "It's too expensive for what I watch."},
        {"role": "agent", "content": "Understood. The Premium Sports package has been cancelled."},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and result.score == 1.0


def test_a_conversation_ending_on_a_question_for_a_given_kind_is_a_possible_lapse() -> None:
    conversation = [
        {"role": "customer", "content": "My email is maria.k@example.org, I need a new password."},
        {"role": "agent", "content": "Sure. What is your email address?"},
    ]
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "completed" and result.score is not None and result.score < 1.0
    assert "ended before an answer" in result.reason
