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
