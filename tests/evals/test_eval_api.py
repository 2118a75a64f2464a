"""The public API: `evaluate` by name, the evaluator classes, batches and their errors."""

from __future__ import annotations

import random

import pytest

from evals import (
    EVALUATOR_NAMES,
    BatchItem,
    ConversationResolution,
    CustomerAgentContextRetention,
    EvalResult,
    evaluate,
    evaluate_batch,
)

CONVERSATION = [
    {"role": "user", "content": "My order 4471923 never arrived."},
    {
        "role": "assistant",
        "content": "I'm sorry. A replacement has been shipped and you'll receive a tracking email.",
    },
    {"role": "user", "content": "Great, thanks."},
]


def test_one_name_returns_a_result_and_several_return_a_mapping() -> None:
    single = evaluate("conversation_resolution", conversation=CONVERSATION)
    assert isinstance(single, EvalResult) and single.eval_name == "conversation_resolution"
    several = evaluate(
        ["conversation_resolution", "customer_agent_conversation_quality"], conversation=CONVERSATION
    )
    assert list(several) == ["conversation_resolution", "customer_agent_conversation_quality"]
    together = several["conversation_resolution"]
    assert (together.score, together.reason, together.evidence) == (
        single.score,
        single.reason,
        single.evidence,
    )


def test_results_carry_every_contract_field() -> None:
    for name, result in evaluate(list(EVALUATOR_NAMES), conversation=CONVERSATION).items():
        assert result.eval_name == name
        assert result.status in ("completed", "failed", "not_applicable")
        assert result.engine == "local" and result.rubric_version and result.latency_ms >= 0
        assert result.reason
        if result.status == "completed":
            assert 0.0 <= result.score <= 1.0 and result.passed == (result.score >= result.threshold)


def test_local_engine_is_deterministic() -> None:
    first = evaluate(list(EVALUATOR_NAMES), conversation=CONVERSATION)
    second = evaluate(list(EVALUATOR_NAMES), conversation=CONVERSATION)
    assert {n: (r.score, r.reason, r.evidence) for n, r in first.items()} == {
        n: (r.score, r.reason, r.evidence) for n, r in second.items()
    }


def test_class_api_takes_input_and_output() -> None:
    earlier = "Customer: my order number is 4471923\nAgent: thanks"
    result = CustomerAgentContextRetention().evaluate(
        input=earlier, output="Agent: What's your order number?\nCustomer: 4471923\nAgent: Found it."
    )
    assert result.passed is False
    assert ConversationResolution().evaluate(conversation=CONVERSATION).passed is True


def test_batch_keeps_order_and_reports_a_bad_item_as_failed() -> None:
    batch = evaluate_batch(
        [
            BatchItem(CONVERSATION, id="a"),
            {"conversation": [{"role": "robot", "content": "beep"}], "id": "bad"},
            {"conversation": "Customer: hi\nAgent: hello", "input": None},
            CONVERSATION,
        ],
        ["conversation_resolution"],
    )
    statuses = [r["conversation_resolution"].status for r in batch.results]
    assert statuses == ["completed", "failed", "not_applicable", "completed"]
    assert "unknown role" in batch.results[1]["conversation_resolution"].reason
    assert batch.stats.evaluated == 3 and batch.stats.calls == 0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: evaluate("conversation_sentiment", conversation=CONVERSATION),
            ValueError,
            "unknown evaluator",
        ),
        (
            lambda: evaluate("conversation_resolution", conversation=CONVERSATION, engine="gpt"),
            ValueError,
            "unknown engine",
        ),
        (lambda: evaluate("conversation_resolution"), TypeError, "missing the transcript"),
        (lambda: evaluate("conversation_resolution", conversation="x", output="y"), TypeError, "not both"),
        (
            lambda: evaluate("conversation_resolution", conversation=CONVERSATION, threshold=1.5),
            ValueError,
            "thresholds",
        ),
        (
            lambda: evaluate("customer_agent_context_retention", conversation=CONVERSATION, input=42),
            ValueError,
            "input",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


_TURN_TEXTS = [
    "",
    "?",
    "Hi",
    "Thanks!",
    "again?",
    "No, I said Tuesday.",
    "My email is ann.lee@example.com",
    "order AB-12345 at 13:30 on March 5th",
    "I like sci-fi and documentaries.",
    "I have a Chromecast with Google TV",
    "İstanbul café’s menu 😀",
    "What genres do you like?",
    "Which device is it?",
    "Is that still the family plan?",
    "What is your email address?",
    "Your booking has been confirmed.",
    "Sorry, I couldn't book that.",
    "The Chromecast with Google TV.",
    "it's the router's light",
    "V11 4K",
    "'s |||",
    "Forget it, I'll call back.",
]


def test_random_conversations_never_crash_and_keep_the_contract() -> None:
    rng = random.Random(5)
    for _ in range(300):
        conversation = [
            {"role": rng.choice(["customer", "agent", "system"]), "content": rng.choice(_TURN_TEXTS)}
            for _ in range(rng.randint(1, 8))
        ]
        context = rng.choice(
            [
                None,
                [[{"role": "customer", "content": rng.choice(_TURN_TEXTS)}]],
                [rng.choice(_TURN_TEXTS) or "x"],
            ]
        )
        for result in evaluate(list(EVALUATOR_NAMES), conversation=conversation, input=context).values():
            assert result.status in ("completed", "not_applicable")
            assert (result.score is None) == (result.status == "not_applicable")
