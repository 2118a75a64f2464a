"""CustomerAgentConversationQuality (local engine): a 1-5 rating mapped to [0, 1]."""

from __future__ import annotations

from evals import CustomerAgentConversationQuality

GOOD = """Customer: Hi, I'd like to upgrade my plan to Premium.
Agent: Happy to help. Your plan has been upgraded to Premium, effective today.
Customer: Great, thanks!
Agent: You're welcome. Is there anything else I can help you with?
Customer: No, that's all.
Agent: Have a great day!"""

POOR = """Customer: My account number is 88812345 and I was double charged.
Agent: What is your account number?
Customer: I already told you, 88812345.
Agent: What is your account number?
Customer: This is ridiculous. 88812345!
Agent: I couldn't find a refund option."""


def test_a_smooth_resolved_conversation_rates_high() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=GOOD)
    assert result.status == "completed" and result.score is not None and result.score >= 0.75
    assert result.reason.startswith("Quality")


def test_reasks_loops_and_complaints_rate_low_with_evidence() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=POOR)
    assert result.passed is False and result.score is not None and result.score <= 0.25
    notes = {e.note for e in result.evidence}
    assert "customer complaint" in notes and any(n.startswith("repeats turn") for n in notes)


def test_scores_are_on_the_1_to_5_grid_mapped_to_unit_interval() -> None:
    for text in (GOOD, POOR):
        score = CustomerAgentConversationQuality().evaluate(output=text).score
        assert score is not None and 0.0 <= score <= 1.0


def test_empty_conversation_is_not_applicable() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=[])
    assert result.status == "not_applicable" and result.passed is None
