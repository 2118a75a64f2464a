"""Privacy at ingestion: personal data planted in every trace convention is redacted from every
column of every raw table, what fails its checksum stays; effective consent is stated, inherited
across stages and defaulted, and a late decision re-runs the later days it changes."""

from __future__ import annotations

import json
from datetime import timedelta

import orjson
from ingest_builders import DAY, JOURNEY, T0, request, rows, span, write_lines

from orchestration.warehouse import RAW_TABLES

# Planted values: each redacted; the checksum-invalid ones stay.
EMAIL = "jamie.doe+tv@example.co.uk"
PHONES = ["(415) 555-2671", "+44 20 7946 0958", "415.555.2671"]
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
KEPT = ["4111 1111 1111 1112", "GB82 WEST 1234 5698 7654 33", "ORD-4829-1173"]
SAID = f"I'm {EMAIL}, call {PHONES[0]}, card {CARD}, IBAN {IBAN}; not {KEPT[0]}, {KEPT[1]} or {KEPT[2]}"
AGENT = f"Noted, we will call {PHONES[1]} or {PHONES[2]}."
PLANTED = [EMAIL, *PHONES, CARD, IBAN, "4111111111111111", "GB82WEST12345698765432"]


def _journey(conversation: str, **extra: object) -> dict:
    return {**JOURNEY, "session.id": conversation, **extra}


def _conventions() -> list[dict]:
    """One conversation per trace convention the ingestion reads, each saying the planted values."""
    genai_in = json.dumps([{"role": "user", "parts": [{"type": "text", "content": SAID}]}])
    genai_out = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": AGENT}]}])
    return [
        request(span(1, 1, 0, 5, {**_journey("traceai"), "fi.span.kind": "LLM",
                                  "gen_ai.input.messages.0.message.role": "user",
                                  "gen_ai.input.messages.0.message.content": SAID,
                                  "gen_ai.output.messages.0.message.role": "assistant",
                                  "gen_ai.output.messages.0.message.content": AGENT})),
        request(span(2, 1, 10, 15, {**_journey("openinference"), "openinference.span.kind": "LLM",
                                    "llm.input_messages.0.message.role": "user",
                                    "llm.input_messages.0.message.content": SAID,
                                    "llm.output_messages.0.message.role": "assistant",
                                    "llm.output_messages.0.message.content": AGENT})),
        request(span(3, 1, 20, 25, {**_journey("genai"), "gen_ai.operation.name": "chat",
                                    "gen_ai.input.messages": genai_in, "gen_ai.output.messages": genai_out})),
        request(span(4, 1, 30, 35, {**_journey("human"), "agent.type": "human",
                                    "input.value": SAID, "output.value": AGENT})),
        request(span(5, 1, 40, 45, {**_journey("livekit"), "lk.user_input": SAID, "lk.response.text": AGENT}),
                resource={"customer.email": EMAIL, "customer.phone": PHONES[0]}),
    ]


def _every_value(con) -> str:
    """Every column of every raw table, as text."""
    return "\n".join(
        json.dumps(rows(con, f"select * from raw.{table}"), default=str, ensure_ascii=False)
        for table in RAW_TABLES
    )


def test_planted_personal_data_leaves_no_trace_in_any_raw_table(landing, warehouse, ingest):
    bad_line = f'{{"resourceSpans": "not a list", "note": "{EMAIL} {CARD}"}}'
    write_lines(landing / "planted.jsonl", [*_conventions(), bad_line])
    report = ingest(DAY)
    assert report.conversations == 5 and report.quarantined == 1
    stored = _every_value(warehouse)
    # JSON escapes are undone so that a value inside JSON text is found too.
    stored += "\n" + json.loads(json.dumps(stored))
    for value in PLANTED:
        assert value not in stored
    for value in KEPT:
        assert value in stored
    for placeholder in ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]"):
        assert placeholder in stored
    for row in rows(warehouse, "select turns from raw.conversations"):
        assert [t["text"] for t in row["turns"]] == [
            SAID.replace(EMAIL, "[EMAIL]").replace(PHONES[0], "[PHONE]").replace(CARD, "[CARD]").replace(IBAN, "[IBAN]"),
            "Noted, we will call [PHONE] or [PHONE].",
        ]
    counts = rows(warehouse, "select pii_type, sum(redacted_count)::int as n from raw.pii_redactions group by 1 order by 1")
    # Per conversation, distinct values: an email and a card and an IBAN each, three phone
    # numbers; the LiveKit one also has the resource's email and phone (the same values).
    assert counts == [{"pii_type": "card", "n": 5}, {"pii_type": "email", "n": 5},
                      {"pii_type": "iban", "n": 5}, {"pii_type": "phone", "n": 15}]
    assert report.redacted_by_type == {"card": 5, "email": 5, "iban": 5, "phone": 15}
    # The JSON stays valid JSON after redaction.
    for row in rows(warehouse, "select attributes::varchar as a from raw.spans"):
        orjson.loads(row["a"])


def _stage(trace: int, stage: str, at: float, customer: str, **consent: object) -> dict:
    attrs = {**JOURNEY, "customer.id": customer, "journey.stage": stage, "session.id": f"{customer}-{stage}",
             "input.value": "hello", "output.value": "hi"}
    attrs.pop("customer.consent")
    return request(span(trace, 1, at, at + 5, {**attrs, **consent}))


def test_consent_is_stated_once_and_inherited_by_later_stages_and_defaults_apply(landing, warehouse, ingest):
    write_lines(landing / "day.jsonl", [
        _stage(1, "sign-up", 0, "declines", **{"customer.ai_evaluation_consent": False}),
        _stage(2, "payment", 100, "declines"),
        # The boolean wins over customer.consent on the same conversation.
        _stage(3, "sign-up", 0, "mixed", **{"customer.consent": "granted", "customer.recording_consent": False}),
        _stage(4, "payment", 100, "mixed", **{"customer.consent": "withdrawn"}),
        _stage(5, "sign-up", 0, "silent"),
    ])
    ingest(DAY)
    consent = {r["conversation_id"]: r for r in rows(warehouse, "select * from raw.customer_consent")}
    assert {k: (v["ai_evaluation"], v["ai_evaluation_source"], v["recording"], v["recording_source"])
            for k, v in consent.items()} == {
        "declines-sign-up": (False, "stated", True, "default"),
        "declines-payment": (False, "inherited", True, "default"),
        "mixed-sign-up": (True, "stated", False, "stated"),
        "mixed-payment": (False, "stated", False, "stated"),
        "silent-sign-up": (True, "default", True, "default"),
    }
    assert consent["declines-payment"]["ai_evaluation_stated_in"] == "declines-sign-up"


def test_a_late_earlier_decision_changes_later_days_which_are_named_for_re_materialization(
    landing, warehouse, ingest
):
    next_day = T0 + timedelta(days=1)
    write_lines(landing / "later.jsonl", [request(span(2, 1, 0, 5, {
        **{k: v for k, v in JOURNEY.items() if k != "customer.consent"}, "session.id": "later",
        "input.value": "hello", "output.value": "hi"}, base=next_day))])
    ingest(DAY + timedelta(days=1))
    assert rows(warehouse, "select ai_evaluation_source from raw.customer_consent") == [
        {"ai_evaluation_source": "default"}]
    write_lines(landing / "late.jsonl", [_stage(1, "sign-up", 0, JOURNEY["customer.id"],
                                                **{"customer.ai_evaluation_consent": False})])
    report = ingest(DAY)
    assert DAY + timedelta(days=1) in report.related_days
    ingest(DAY + timedelta(days=1))
    assert rows(warehouse, "select ai_evaluation, ai_evaluation_source from raw.customer_consent "
                           "where conversation_id = 'later'") == [
        {"ai_evaluation": False, "ai_evaluation_source": "inherited"}]
    # Nothing changes on a second run: no day named.
    assert DAY + timedelta(days=1) not in ingest(DAY).related_days


def test_the_decode_cache_keeps_files_redacted(landing, warehouse, ingest, tmp_path):
    """A file that also feeds the next day is kept decoded beside the warehouse for that day's run:
    what is kept is as redacted as what is stored (the decoder redacts, not a later step)."""
    next_day = request(span(9, 1, 86_400 + 60, 86_400 + 65, {**_journey("next-day"), "input.value": SAID}))
    write_lines(landing / "two-days.jsonl", [*_conventions(), next_day])
    ingest(DAY)
    cache = tmp_path / "warehouse.duckdb.decoded"
    kept = b"".join(path.read_bytes() for path in cache.iterdir())
    assert kept, "the file feeds the next day, so its decoded tables are kept"
    for value in PLANTED:
        assert value.encode() not in kept
    assert KEPT[0].encode() in kept and b"[EMAIL]" in kept
    assert ingest(DAY + timedelta(days=1)).files_from_cache == 1
    assert EMAIL not in _every_value(warehouse)
