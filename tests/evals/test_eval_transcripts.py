"""Transcript forms the evaluators accept, and clear errors for the ones they do not."""

from __future__ import annotations

import pytest

from evals import TranscriptError, normalize_conversation


def test_message_list_with_llm_roles_drops_system_and_keeps_caller_indices() -> None:
    turns = normalize_conversation(
        [
            {"role": "system", "content": "You are a helpful agent."},
            {"role": "user", "content": " I need a refund. "},
            {"role": "assistant", "content": "Sure, what is your order number?"},
        ]
    )
    assert [(t.index, t.role, t.text) for t in turns] == [
        (1, "customer", "I need a refund."),
        (2, "agent", "Sure, what is your order number?"),
    ]


def test_warehouse_turns_use_text_and_customer_agent_roles() -> None:
    turns = normalize_conversation(
        [{"role": "customer", "text": "hi", "ts": None}, {"role": "agent", "text": None}]
    )
    assert [(t.role, t.text) for t in turns] == [("customer", "hi"), ("agent", "")]


def test_plain_text_transcript_with_lines_and_slashes() -> None:
    text = "Customer: My card was charged twice.\nAgent: I'm sorry about that.\ncan you check? / Customer: ok"
    turns = normalize_conversation(text)
    assert [(t.role, t.text) for t in turns] == [
        ("customer", "My card was charged twice."),
        ("agent", "I'm sorry about that. can you check?"),
        ("customer", "ok"),
    ]


@pytest.mark.parametrize(
    ("conversation", "message"),
    [
        ([{"role": "caller-bot", "content": "x"}], "unknown role"),
        ([{"content": "x"}], "missing 'role'"),
        ([{"role": "user", "content": 3}], "must be a string"),
        (["just a string turn"], "expected a mapping"),
        ("no speaker labels here", "speaker labels"),
        ({"role": "user", "content": "x"}, "not a single mapping"),
    ],
)
def test_unreadable_transcripts_raise_a_clear_error(conversation: object, message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        normalize_conversation(conversation)  # type: ignore[arg-type]
