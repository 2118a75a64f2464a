"""ConversationResolution (local engine) on clear cases."""

from __future__ import annotations

import pytest

from evals import ConversationResolution, EvalResult, evaluate


def _resolve(text: str) -> EvalResult:
    return ConversationResolution().evaluate(output=text)


RESOLVED = """Customer: Hi, I was charged twice for my March invoice.
Agent: I'm sorry about that. I can see the duplicate charge of $39.99.
Customer: Can you refund it?
Agent: Done. The duplicate charge has been refunded to your card; you'll receive a confirmation email shortly.
Customer: Perfect, thank you!
Agent: You're welcome, have a great day."""

UNRESOLVED = """Customer: I need to change my flight to Friday.
Agent: Let me check. Unfortunately I couldn't change the booking, the fare does not allow changes.
Customer: That's not what I was told.
Agent: I understand. Is there anything else I can help with?
Customer: No."""

RECOVERED = """Customer: Please book a table for two at 7 pm tonight.
Agent: Sorry, I was unable to book 7 pm. Would you like to try 7:30 pm instead?
Customer: Yes, 7:30 is fine.
Agent: Great, your table for two at 7:30 pm has been booked.
Customer: Thanks!"""

PARTIAL = """Customer: Cancel my gym membership and refund last month.
Agent: Your membership has been cancelled.
Customer: And the refund?
Agent: I'm afraid I can't issue a refund for last month. Would you like store credit instead?
Customer: No thanks.
Agent: Okay. Anything else?"""

ABANDONED = """Customer: My internet keeps dropping every evening.
Agent: Have you tried restarting the router?
Customer: Yes, twice.
Agent: Please restart it again and wait ten minutes.
Customer: Forget it, I'll call back tomorrow."""

ESCALATED = """Customer: My refund from last month never arrived.
Agent: I see the refund request. I'm going to escalate this to our billing team; a specialist will contact you within 48 hours.
Customer: OK, thanks."""

PERSISTS = """Customer: The app crashes when I open settings.
Agent: Please clear the cache and reopen the app.
Customer: I did that and it still crashes.
Agent: Thanks for trying."""


def test_resolved_conversation_passes_with_the_completion_turn_as_evidence() -> None:
    result = _resolve(RESOLVED)
    # A completion notice and a thankful close: near-certain, not exactly 1 (a probability).
    assert result.status == "completed" and result.passed is True and result.score >= 0.9
    assert any(e.turn == 3 and "refunded" in e.quote for e in result.evidence)
    assert result.engine == "local" and result.rubric_version.startswith("local")


def test_unresolved_conversation_fails_and_says_where() -> None:
    result = _resolve(UNRESOLVED)
    assert result.passed is False and result.score <= 0.1
    assert "turn 1" in result.reason
    assert any("couldn't change" in e.quote for e in result.evidence)


def test_failure_recovered_by_a_retry_is_resolved() -> None:
    result = _resolve(RECOVERED)
    assert result.passed is True
    assert "recovering" in result.reason


def test_partial_resolution_scores_between_failure_and_success_but_fails() -> None:
    partial = _resolve(PARTIAL).score
    assert partial is not None and 0.0 < partial < 0.5
    assert _resolve(UNRESOLVED).score < partial < _resolve(RESOLVED).score  # type: ignore[operator]


def test_abandoned_conversation_fails() -> None:
    result = _resolve(ABANDONED)
    assert result.passed is False and "Abandoned" in result.reason
    assert any(e.turn == 4 for e in result.evidence)


def test_escalated_conversation_is_not_resolved_here() -> None:
    result = _resolve(ESCALATED)
    assert result.passed is False and "Escalated" in result.reason


def test_problem_that_persists_is_not_resolved() -> None:
    assert _resolve(PERSISTS).passed is False


def test_unanswered_last_question_is_not_resolved() -> None:
    result = _resolve(
        "Customer: Hi, where is my parcel?\nAgent: Let me look.\nCustomer: Any news? Where is it?"
    )
    assert result.passed is False and "no answer" in result.reason


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_contractions_with_either_apostrophe_read_as_failures(apostrophe: str) -> None:
    text = f"Customer: Book me a cab to the airport.\nAgent: Sorry, I can{apostrophe}t book a cab right now.\nCustomer: Ok."
    result = _resolve(text)
    assert result.passed is False
    assert any(e.note == "failure not recovered" and "book a cab" in e.quote for e in result.evidence)


def test_a_read_back_for_confirmation_is_not_a_completion() -> None:
    text = "Customer: Move my appointment to 3 pm.\nAgent: I've changed it to 3 pm on Friday. Is that correct?\nCustomer: Yes."
    result = _resolve(text)
    assert "confirmed completion" not in result.reason


def test_too_short_is_not_applicable() -> None:
    result = _resolve("Customer: Hello?")
    assert result.status == "not_applicable" and result.score is None and result.passed is None


@pytest.mark.parametrize(
    "greetings",
    [
        "Customer: hi / Agent: hello",
        "Customer: Good morning! / Agent: Good morning, how can I help? / Customer: Hi, thanks.",
    ],
)
def test_a_conversation_without_any_request_is_not_applicable(greetings: str) -> None:
    results = evaluate(
        ["conversation_resolution", "customer_agent_conversation_quality"], conversation=greetings
    )
    for result in results.values():
        assert result.status == "not_applicable" and result.score is None and result.passed is None
    assert "no request" in results["conversation_resolution"].reason


def test_a_request_after_the_greeting_is_judged() -> None:
    result = _resolve("Customer: hi / Agent: hello / Customer: my internet is down / Agent: Let me check.")
    assert result.status == "completed" and result.score is not None


def test_threshold_is_configurable() -> None:
    score = _resolve(PARTIAL).score
    assert score is not None and score < 0.5
    partial = ConversationResolution(threshold=score / 2).evaluate(output=PARTIAL)
    assert partial.passed is True and partial.threshold == score / 2


@pytest.mark.parametrize(
    ("agent_turn", "resolved"),
    [
        ("Booking was successful. Your reference number is 2O7P7SVJ.", True),
        ("Okay, it's booked for Friday.", True),
        ("I was able to reserve the room for you.", True),
        ("I've gone ahead and updated your billing address.", True),
        ("Unfortunately, the booking was unsuccessful.", False),
        ("I'm sorry, they are fully booked that night.", False),
        ("I am unable to offer a refund as the order is past 30 days.", False),
        ("Your card was declined.", False),
    ],
)
def test_completion_and_failure_notices_in_common_phrasings(agent_turn: str, resolved: bool) -> None:
    result = _resolve(f"Customer: Can you sort this out for me?\nAgent: {agent_turn}\nCustomer: Okay, bye.")
    assert result.passed is resolved
