"""CustomerAgentContextRetention (local engine): re-asks within a conversation and across stages."""

from __future__ import annotations

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
