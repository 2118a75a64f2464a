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


def _asked(first: str, question: str, reply: str, closing: str) -> list[dict[str, str]]:
    """The customer says something, the agent asks a question, the customer replies, the agent closes."""
    return [
        {"role": "customer", "content": first},
        {"role": "agent", "content": question},
        {"role": "customer", "content": reply},
        {"role": "agent", "content": closing},
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
        RETENTION, conversation=handoff, input=["prefers evening calls", "email: maria.k@example.org"]
    )
    assert result.passed is False
    # Evidence names the item of the list: `context[k]`, with k as its turn.
    first = next(e for e in result.evidence if e.note == "first given")
    assert (first.source, first.turn, first.quote) == ("context[1]", 1, "email: maria.k@example.org")


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
    conversation = _asked(first, question, reply, "Thank you, I have updated your request.")
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


# --- preferences stated in ordinary words, asked again --------------------------------------------


PREFERENCE_REASKS = [
    # (what the customer said first, the agent's question, the customer's answer)
    (
        "I want to watch sci-fi and documentaries",
        "What genres do you like?",
        "sci-fi and documentaries, I told the last agent",
    ),
    ("I mostly watch horror movies and anime", "What kind of shows do you enjoy?", "Horror movies and anime"),
    (
        "We usually listen to jazz and bossa nova in the evenings.",
        "What kind of music do you like?",
        "Jazz and bossa nova.",
    ),
    # No preference verb the parser knows: the restated wording carries it.
    (
        "Mostly I read fantasy novels, Brandon Sanderson especially.",
        "What sort of books are you into?",
        "Fantasy, like Brandon Sanderson.",
    ),
    (
        "My kids only watch Bluey and Peppa Pig on the tablet.",
        "What type of shows do your kids enjoy?",
        "Bluey and Peppa Pig",
    ),
]


@pytest.mark.parametrize(("first", "question", "reply"), PREFERENCE_REASKS)
def test_a_preference_in_ordinary_words_asked_again_at_the_next_stage_is_a_reask(
    first: str, question: str, reply: str
) -> None:
    earlier = [
        {"role": "customer", "content": first},
        {"role": "agent", "content": "Thanks, I'll pass you to our recommendations team."},
    ]
    handoff = [
        {"role": "agent", "content": f"Hi, recommendations here. {question}"},
        {"role": "customer", "content": reply},
        {"role": "agent", "content": "Thanks, I've saved your recommendations."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[earlier], output=handoff)
    assert result.status == "completed" and result.passed is False, result.reason
    assert "earlier stage" in result.reason
    assert any(e.note == "first given" and e.source == "context[0]" for e in result.evidence)
    assert any(e.turn == 0 and e.note == "re-ask across stages" for e in result.evidence)
    # Judged without the earlier stage, nothing was asked again (only "I told the last agent"
    # still says so, with nothing earlier to point at).
    alone = CustomerAgentContextRetention().evaluate(output=handoff)
    assert not any(e.source.startswith("context") for e in alone.evidence)
    assert alone.score == 1.0 or "last agent" in reply


@pytest.mark.parametrize(("first", "question", "reply"), PREFERENCE_REASKS)
def test_a_preference_in_ordinary_words_asked_again_in_the_same_conversation_is_a_reask(
    first: str, question: str, reply: str
) -> None:
    conversation = _asked(first, question, reply, "Thanks, I've saved your recommendations.")
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is False, result.reason
    assert {(1, "re-ask"), (0, "first given"), (2, "given again")} <= {
        (e.turn, e.note) for e in result.evidence
    }


@pytest.mark.parametrize(
    ("first", "question", "reply"),
    [
        # A refinement of a broad wish, not a re-ask: the answer adds what was not said.
        ("I want to watch a movie tonight.", "What genre?", "A comedy, please."),
        ("I want to watch a movie tonight.", "What kind of movie do you like?", "I like comedy movies."),
        (
            "We usually watch movies with the kids.",
            "What kind of movies do you enjoy?",
            "Animated ones mostly.",
        ),
        ("I want to listen to some music.", "What genre of music do you like?", "I like pop music."),
    ],
)
def test_narrowing_a_stated_wish_is_not_a_reask(first: str, question: str, reply: str) -> None:
    conversation = _asked(first, question, reply, "Here are some suggestions for you.")
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and result.score is not None and result.score >= 0.9, result.reason


# --- short ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "question", "reply"),
    [
        ("my order 12345 did not arrive", "what is your order number?", "12345"),
        ("my order 1234 did not arrive", "What's the order number?", "1234"),
        ("my order 4471 did not arrive", "Can I have your order number, please?", "It's 4471."),
        ("my order 123456 did not arrive", "what is your order number?", "123456"),
        ("Hi, account number 123 was charged twice.", "Could you give me your account number?", "123"),
        ("I need to change booking reference 7781.", "What is the booking reference?", "#7781, as I said"),
    ],
)
def test_a_short_numeric_id_given_again_on_request_is_a_reask(first: str, question: str, reply: str) -> None:
    conversation = _asked(first, question, reply, "Thanks, I'm looking into it.")
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.score == 0.0, result.reason
    assert result.reason.startswith("Context lost") and "reference number" in result.reason
    assert {(1, "re-ask"), (0, "first given"), (2, "given again")} <= {
        (e.turn, e.note) for e in result.evidence
    }


def test_a_different_short_id_is_only_a_weak_signal() -> None:
    conversation = (
        "Customer: my order 12345 did not arrive\nAgent: what is your order number?\n"
        "Customer: Sorry, it's 12346.\nAgent: Thanks, I'm looking into it."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and result.score is not None and result.score > 0.8
    assert "new value" in result.reason


def test_a_reply_without_the_asked_value_is_described_as_such() -> None:
    conversation = (
        "Customer: my order 12345 did not arrive\nAgent: what is your order number?\n"
        "Customer: I don't have it with me.\nAgent: No problem, I'll find it."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is True and "did not repeat it" in result.reason


# --- how the conversation ended does not change retention ---------------------------------------
# Retention asks one thing: did the agent ask again for what it had been told. An abandoned or
# escalated conversation is judged on its re-asks like any other (its ending is resolution's and
# quality's business); it is not applicable only when the customer said nothing that could be
# asked again. A hand-over is not a retention failure: the stage that receives it is judged with
# the earlier stage as `input`, and asking there for what was given before is a cross-stage re-ask.

DETAILS = "Hi, I'd like to upgrade my plan to Premium. My account number is 88812345."


def test_an_abandoned_conversation_without_a_reask_keeps_context() -> None:
    conversation = (
        f"Customer: {DETAILS}\nAgent: Let me check. Could you hold for a few minutes?\n"
        "Customer: I've been waiting for ages. Forget it, I'll go elsewhere.\nAgent: I'm sorry to hear that."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "completed" and result.score == 1.0


def test_an_abandoned_conversation_after_a_reask_loses_context() -> None:
    conversation = (
        f"Customer: {DETAILS}\nAgent: What is your account number?\n"
        "Customer: I already gave you that. Forget it, I'll go elsewhere.\nAgent: I'm sorry to hear that."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.passed is False and result.reason.startswith("Context lost")


def test_abandoning_before_saying_anything_is_not_applicable() -> None:
    conversation = "Customer: hello?\nAgent: Hi, how can I help?\nCustomer: never mind, forget it."
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "not_applicable" and result.score is None


def test_an_escalated_conversation_without_a_reask_keeps_context() -> None:
    conversation = (
        f"Customer: {DETAILS}\nAgent: I'll transfer you to our billing department, they handle plan changes.\n"
        "Customer: OK.\nAgent: A billing specialist will call you back within 24 hours."
    )
    result = CustomerAgentContextRetention().evaluate(output=conversation)
    assert result.status == "completed" and result.score == 1.0


ESCALATED_STAGE = [
    {"role": "customer", "content": f"{DETAILS} My email is ann@example.com."},
    {"role": "agent", "content": "I can't do that here, I'm transferring you to our upgrades team."},
]


def test_the_team_receiving_an_escalation_that_asks_again_loses_context_across_stages() -> None:
    handoff = [
        {"role": "agent", "content": "Hello, upgrades team here. What is your account number?"},
        {"role": "customer", "content": "88812345, I gave it to the last agent."},
        {"role": "agent", "content": "Thanks. Your plan has been upgraded to Premium."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[ESCALATED_STAGE], output=handoff)
    assert result.score == 0.0 and "earlier stage" in result.reason
    assert any(e.note == "first given" and e.source == "context[0]" for e in result.evidence)


def test_the_team_receiving_an_escalation_that_uses_the_details_keeps_context() -> None:
    handoff = [
        {"role": "agent", "content": "Hello, upgrades team here. Shall I move account 88812345 to Premium?"},
        {"role": "customer", "content": "Yes please."},
        {"role": "agent", "content": "Your plan has been upgraded to Premium."},
    ]
    result = CustomerAgentContextRetention().evaluate(input=[ESCALATED_STAGE], output=handoff)
    assert result.score == 1.0
    assert any(e.note == "reused earlier detail" and e.source == "context[0]" for e in result.evidence)
