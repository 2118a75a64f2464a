"""orchestration/ingest/redact.py: the decoder's redaction of attribute values, here on JSON texts
(GenAI's message histories), which are redacted value by value."""

from __future__ import annotations

import json

import orjson

from orchestration.ingest.redact import RedactionConfig, ValueRedactor

FILLER = "Thanks for waiting, I am looking into your account now and will be right back with you. " * 2


def _history(said: str) -> str:
    return json.dumps([{"role": "assistant", "content": FILLER}, {"role": "user", "content": said}])


def test_a_json_text_is_redacted_value_by_value_even_where_escapes_hide_a_value_from_its_text() -> None:
    redactor = ValueRedactor(RedactionConfig("US"))
    # JSON may write '@' as \u0040, and a number after a form feed follows `\f`, a letter, in the
    # JSON text: only the decoded values show them.
    hidden = _history("mail jamie@example.com\f4155552671").replace("@", "\\u0040")
    plain = _history("no personal data here")
    found: list[tuple[str, str]] = []
    clean = redactor.attributes({"gen_ai.input.messages": hidden, "other": plain}, found)
    assert found == [("email", "jamie@example.com"), ("phone", "4155552671")]
    assert orjson.loads(clean["gen_ai.input.messages"])[1]["content"] == "mail [EMAIL]\f[PHONE]"
    assert clean["other"] is plain


def test_values_remembered_as_clean_do_not_hide_a_new_value_or_a_number_of_equal_value() -> None:
    redactor = ValueRedactor(RedactionConfig("US"))
    # The first span's values are all remembered as holding nothing, the integral float too...
    first = {"journey.stage": "billing", "llm.latency": 4155552671.0, "tokens": 12}
    assert redactor.attributes(first, []) is first
    assert redactor.attributes(dict(first), []) == first
    # ...which must not make the equal int (a phone number sent as an intValue) count as clean,
    # nor let a span of known values with one new value through unread.
    found: list[tuple[str, str]] = []
    clean = redactor.attributes({"journey.stage": "billing", "customer.phone": 4155552671, "tokens": 12}, found)
    assert found == [("phone", "4155552671")]
    assert clean == {"journey.stage": "billing", "customer.phone": "[PHONE]", "tokens": 12}


def test_a_value_that_held_personal_data_is_redacted_every_time_it_comes_back() -> None:
    redactor = ValueRedactor(RedactionConfig("US"))
    said = "my email is jamie@example.com"
    for _ in range(3):
        found: list[tuple[str, str]] = []
        clean = redactor.attributes({"input.value": said, "tags": ["a", said]}, found)
        assert clean == {"input.value": "my email is [EMAIL]", "tags": ["a", "my email is [EMAIL]"]}
        assert found == [("email", "jamie@example.com")] * 2
