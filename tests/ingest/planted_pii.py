"""Personal data planted in every trace convention ingestion reads: emails, phone numbers in
several formats, a Luhn-valid card and a checksum-valid IBAN, which must be redacted wherever they
could go, and their checksum-invalid twins and an order number, which must stay."""

from __future__ import annotations

import json

from ingest_builders import JOURNEY, request, span

EMAIL = "jamie.doe+tv@example.co.uk"
PHONES = ["(415) 555-2671", "+44 20 7946 0958", "415.555.2671"]
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
KEPT = ["4111 1111 1111 1112", "GB82 WEST 1234 5698 7654 33", "ORD-4829-1173"]
SAID = f"I'm {EMAIL}, call {PHONES[0]}, card {CARD}, IBAN {IBAN}; not {KEPT[0]}, {KEPT[1]} or {KEPT[2]}"
AGENT = f"Noted, we will call {PHONES[1]} or {PHONES[2]}."
PLANTED = [EMAIL, *PHONES, CARD, IBAN, "4111111111111111", "GB82WEST12345698765432"]
# A line that is not OTLP, quoting planted values: quarantined, with its text redacted.
BAD_LINE = f'{{"resourceSpans": "not a list", "note": "{EMAIL} {CARD}"}}'
# The conversation ids of planted_conversations(), one per convention.
CONVERSATIONS = ["traceai", "openinference", "genai", "human", "livekit"]


def journey(conversation: str) -> dict:
    """The journey attributes of a planted conversation."""
    return {**JOURNEY, "session.id": conversation}


def planted_conversations() -> list[dict]:
    """One conversation per trace convention, each saying the planted values."""
    genai_in = json.dumps([{"role": "user", "parts": [{"type": "text", "content": SAID}]}])
    genai_out = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": AGENT}]}])
    traceai, openinference, genai, human, livekit = CONVERSATIONS
    return [
        request(span(1, 1, 0, 5, {**journey(traceai), "fi.span.kind": "LLM",
                                  "gen_ai.input.messages.0.message.role": "user",
                                  "gen_ai.input.messages.0.message.content": SAID,
                                  "gen_ai.output.messages.0.message.role": "assistant",
                                  "gen_ai.output.messages.0.message.content": AGENT})),
        request(span(2, 1, 10, 15, {**journey(openinference), "openinference.span.kind": "LLM",
                                    "llm.input_messages.0.message.role": "user",
                                    "llm.input_messages.0.message.content": SAID,
                                    "llm.output_messages.0.message.role": "assistant",
                                    "llm.output_messages.0.message.content": AGENT})),
        request(span(3, 1, 20, 25, {**journey(genai), "gen_ai.operation.name": "chat",
                                    "gen_ai.input.messages": genai_in, "gen_ai.output.messages": genai_out})),
        request(span(4, 1, 30, 35, {**journey(human), "agent.type": "human",
                                    "input.value": SAID, "output.value": AGENT})),
        request(span(5, 1, 40, 45, {**journey(livekit), "lk.user_input": SAID, "lk.response.text": AGENT}),
                resource={"customer.email": EMAIL, "customer.phone": PHONES[0]}),
    ]


def leaks(text: str) -> list[str]:
    """The planted values found in `text`, also inside JSON text (its escapes undone)."""
    unescaped = json.loads(json.dumps(text))
    return [value for value in PLANTED if value in text or value in unescaped]


def kept(text: str) -> list[str]:
    """The checksum-invalid values and the order number found in `text`."""
    return [value for value in KEPT if value in text]
