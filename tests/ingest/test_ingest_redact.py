"""orchestration/ingest/redact.py: the decoder's redaction of attribute values: what it remembers,
and JSON texts (GenAI's message histories), judged piece by piece between their quotes or, where
that cannot be used, value by value."""

from __future__ import annotations

import json
from collections import Counter

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.redaction import Redactor
from orchestration.ingest.redact import _HIDING_ESCAPE, RedactionConfig, ValueRedactor

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


def test_a_short_json_text_whose_escapes_hide_an_email_is_still_redacted() -> None:
    # Before, JSON texts under 200 characters were scanned as text only, and `\u0040` hid the '@'.
    redactor = ValueRedactor(RedactionConfig("US"))
    found: list[tuple[str, str]] = []
    clean = redactor.attributes({"tool.result": '{"email":"jamie\\u0040example.com"}'}, found)
    assert found == [("email", "jamie@example.com")]
    assert orjson.loads(clean["tool.result"]) == {"email": "[EMAIL]"}


def test_a_number_outside_any_string_becomes_a_placeholder_string_and_the_json_stays_json() -> None:
    # Scanned as text, `"phone":4155552671` became `"phone":[PHONE]`, which no JSON reader reads.
    redactor = ValueRedactor(RedactionConfig("US"))
    found: list[tuple[str, str]] = []
    clean = redactor.attributes({"tool.arguments": '{"phone":4155552671,"note":"call me"}'}, found)
    assert found == [("phone", "4155552671")]
    assert orjson.loads(clean["tool.arguments"]) == {"phone": "[PHONE]", "note": "call me"}


_SAID = st.lists(
    st.one_of(
        st.text(alphabet='ab CA0123456789+()-.@"\\\n\t', max_size=10),
        st.sampled_from(["jamie@example.com", "(415) 555-2671", "+44 20 7946 0958", "4111 1111 1111 1111",
                         "GB82 WEST 1234 5698 7654 32", "1600 Pennsylvania Ave, Washington, DC 20500"]),
    ),
    max_size=6,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "assistant"]), _SAID), min_size=1, max_size=5))
def test_a_json_text_judged_piece_by_piece_is_redacted_as_its_whole_text_would_be(turns: list[tuple[str, str]]) -> None:
    # Strings only: a number outside any string takes the parsed path. So does a text where an
    # escape may hide a character (`\\b` may be one), re-written as compact JSON.
    text = json.dumps([{"role": role, "content": said} for role, said in turns], ensure_ascii=False)
    whole = Redactor("US").redact(text)
    found: list[tuple[str, str]] = []
    redacted = ValueRedactor(RedactionConfig("US")).message(text, found)
    assert Counter(found) == Counter((str(t), v) for t, v in whole.found)
    if _HIDING_ESCAPE.search(text) is None:
        assert redacted == whole.text
    else:
        assert orjson.loads(redacted) == orjson.loads(whole.text)
