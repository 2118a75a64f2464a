"""CustomerAgentConversationQuality (local engine): a 1-5 rating mapped to [0, 1]."""

from __future__ import annotations

import re

import pytest

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


UNRESOLVED = """Customer: Hi, I'd like to upgrade my plan to Premium.
Agent: I'm sorry, I couldn't upgrade your plan: the Premium plan is not available in your area.
Customer: Oh. OK then.
Agent: Is there anything else I can help you with?
Customer: No."""

ABANDONED = """Customer: Hi, I'd like to upgrade my plan to Premium. My account number is 88812345.
Agent: Let me check. Could you hold for a few minutes?
Customer: I've been waiting for ages. Forget it, I'll go elsewhere.
Agent: I'm sorry to hear that."""

ESCALATED = """Customer: Hi, I'd like to upgrade my plan to Premium. My account number is 88812345.
Agent: I'll transfer you to our billing department, they handle plan changes.
Customer: OK.
Agent: A billing specialist will call you back within 24 hours."""

EARLIER_STAGE = [
    {
        "role": "customer",
        "content": "Hi, I'd like to upgrade my plan to Premium. My account number is 88812345 "
        "and my email is ann@example.com.",
    },
    {"role": "agent", "content": "I'm passing you to our upgrades team now."},
]
REASKED_ACROSS_STAGES = [
    {"role": "agent", "content": "Hello, upgrades team here. What is your account number?"},
    {"role": "customer", "content": "88812345, I gave it to the last agent."},
    {"role": "agent", "content": "And your email address?"},
    {"role": "customer", "content": "ann@example.com"},
    {"role": "agent", "content": "Thanks. Your plan has been upgraded to Premium."},
    {"role": "customer", "content": "Thanks."},
    {"role": "agent", "content": "Is there anything else I can help you with?"},
]
KEPT_ACROSS_STAGES = [
    {"role": "agent", "content": "Hello, upgrades team here. Shall I move account 88812345 to Premium?"},
    {"role": "customer", "content": "Yes please."},
    {"role": "agent", "content": "Your plan has been upgraded to Premium."},
    {"role": "customer", "content": "Thanks."},
    {"role": "agent", "content": "Is there anything else I can help you with?"},
]


def _quality(conversation: object, earlier: object = None) -> float:
    result = CustomerAgentConversationQuality().evaluate(input=earlier, output=conversation)
    assert result.status == "completed" and result.score is not None, result.reason
    return result.score


def test_a_smooth_resolved_conversation_rates_high() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=GOOD)
    assert result.status == "completed" and result.score is not None and result.score >= 0.75
    assert result.reason.startswith("Quality")


def test_reasks_loops_and_complaints_rate_low_with_evidence() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=POOR)
    assert result.passed is False and result.score is not None and result.score <= 0.25
    notes = {e.note for e in result.evidence}
    assert "customer complaint" in notes and any(n.startswith("repeats turn") for n in notes)


def test_the_score_is_the_reported_1_to_5_rating_mapped_to_the_unit_interval() -> None:
    # The local rating is continuous in [1, 5] (penalties and bonuses are fractional), not an
    # integer grid; the score is (rating - 1) / 4, and the reason states the rating to one decimal.
    for text in (GOOD, POOR, UNRESOLVED, ABANDONED, ESCALATED):
        result = CustomerAgentConversationQuality().evaluate(output=text)
        assert result.score is not None and 0.0 <= result.score <= 1.0
        rating = float(re.match(r"Quality (\d\.\d)/5", result.reason).group(1))  # type: ignore[union-attr]
        assert 1.0 <= rating <= 5.0 and abs(result.score * 4 + 1 - rating) <= 0.05 + 1e-9


def test_empty_conversation_is_not_applicable() -> None:
    result = CustomerAgentConversationQuality().evaluate(output=[])
    assert result.status == "not_applicable" and result.passed is None


@pytest.mark.parametrize(
    ("conversation", "why", "margin"),
    [
        (UNRESOLVED, "not resolved", 0.3),
        (ABANDONED, "not resolved", 0.3),
        # A hand-over is not resolved here, but handled politely it costs less satisfaction.
        (ESCALATED, "not resolved", 0.2),
    ],
    ids=["unresolved", "abandoned", "escalated"],
)
def test_unresolved_abandoned_and_escalated_conversations_rate_below_a_smooth_resolved_one(
    conversation: str, why: str, margin: float
) -> None:
    good = _quality(GOOD)
    result = CustomerAgentConversationQuality().evaluate(output=conversation)
    assert result.score is not None and result.score <= good - margin, result.reason
    assert why in result.reason


def test_a_reask_across_stages_rates_below_the_same_stage_that_kept_the_details() -> None:
    kept = _quality(KEPT_ACROSS_STAGES, [EARLIER_STAGE])
    reasked = CustomerAgentConversationQuality().evaluate(input=[EARLIER_STAGE], output=REASKED_ACROSS_STAGES)
    # Re-asks cost a rating point (0.25 of the score) or so; a resolved request keeps it above 3.
    assert reasked.score is not None and reasked.score <= kept - 0.2
    assert "re-ask" in reasked.reason
    assert any(e.note == "re-ask across stages" for e in reasked.evidence)
    # Without the earlier stage the agent had nothing to keep: only the complaint still counts.
    assert _quality(REASKED_ACROSS_STAGES) > reasked.score
