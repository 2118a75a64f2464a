"""The attribute conventions this platform reads, in one place (docs/trace-contract.md describes them).

Everything here is data: the SQL in `flatten.py` and `transcripts.py` is generated from it, so a new
convention is a new entry, not a new code path.
"""

from __future__ import annotations

# The conversation a span belongs to: the first of these keys that is set (on the span or its
# resource), else the trace id. Resolved per trace, then across traces sharing a key.
CONVERSATION_KEYS: tuple[str, ...] = (
    "session.id",
    "gen_ai.conversation.id",
    "conversation.id",
    "lk.room_name",
)

# `raw.conversations` column -> the attribute keys that fill it, in order of preference. They may
# sit on the root span only, on every span or on the resource, and apply to the whole conversation.
JOURNEY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "journey_id": ("journey.id",),
    "customer_id": ("customer.id",),
    "journey_name": ("journey.name",),
    "stage": ("journey.stage",),
    "outcome": ("journey.stage.outcome",),
    "channel": ("channel", "journey.channel"),
    "agent_type": ("agent.type",),
    "segment": ("customer.segment",),
    "consent": ("customer.consent",),
}

# `raw.conversations` column -> the boolean consent attribute that fills it (docs/privacy.md). Not
# `customer.consent.*`: `customer.consent` is an attribute already, and OpenTelemetry forbids a
# name that is also a namespace. They win over `customer.consent`, which sets both.
CONSENT_ATTRIBUTES: dict[str, str] = {
    "ai_evaluation_consent": "customer.ai_evaluation_consent",
    "recording_consent": "customer.recording_consent",
}

# Closed vocabularies: a value outside them is bad input (quarantined), compared case-insensitively.
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "journey.stage.outcome": ("completed", "abandoned", "escalated", "transferred"),
    "agent.type": ("ai", "human"),
    "customer.consent": ("granted", "denied", "withdrawn"),
}

# A span with `journey.id` and `csat.score` is a survey answer (raw.journey_events), not a turn.
CSAT_SCORE_KEY = "csat.score"
CSAT_JOURNEY_KEY = "journey.id"
CSAT_RANGE = (1, 5)

# The span's role in an LLM application. The first three carry the kind itself (LLM, AGENT, TOOL,
# CHAIN, RETRIEVER, ...); the GenAI semantic conventions only name the operation.
SPAN_KIND_KEYS: tuple[str, ...] = ("gen_ai.span.kind", "fi.span.kind", "openinference.span.kind")
OPERATION_NAME_KEY = "gen_ai.operation.name"
OPERATION_KINDS: dict[str, str] = {
    "chat": "LLM",
    "text_completion": "LLM",
    "generate_content": "LLM",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
    "execute_tool": "TOOL",
    "embeddings": "EMBEDDING",
}
LLM_KIND = "LLM"
# Non-LLM spans whose input/output are conversation turns: agents, and spans that declare no kind
# (hand-instrumented human-agent turns, LiveKit). Tools, retrievers, chains etc. are plumbing.
TURN_SPAN_KINDS: tuple[str, ...] = ("AGENT",)

# Flattened messages: traceAI `gen_ai.input.messages.{i}.message.role|content` and OpenInference
# `llm.input_messages.{i}.message.role|content` (and `...message.contents.{j}.message_content.text`).
FLAT_MESSAGE_PREFIXES: tuple[str, ...] = (
    "gen_ai.input.messages.",
    "gen_ai.output.messages.",
    "llm.input_messages.",
    "llm.output_messages.",
)
FLAT_MESSAGE_PATTERN = (
    r"^(?:gen_ai|llm)\.(input|output)(?:\.messages|_messages)\.(\d+)\.message\."
    r"(role|content|contents\.(\d+)\.message_content\.text)$"
)
# OpenTelemetry GenAI (semantic conventions 1.37+): a JSON array of {"role", "parts": [{"type":
# "text", "content"}]} (or a plain "content" string) in one attribute.
JSON_MESSAGE_KEYS: dict[str, str] = {"gen_ai.input.messages": "input", "gen_ai.output.messages": "output"}

# (customer key, agent key) pairs read from non-LLM turn spans.
TURN_PAIRS: tuple[tuple[str, str], ...] = (
    ("input.value", "output.value"),
    ("lk.user_input", "lk.response.text"),
)

# OpenInference says whether input.value/output.value is text or a JSON payload; only text is a turn.
MIME_TYPE_KEYS: dict[str, str] = {"input.value": "input.mime_type", "output.value": "output.mime_type"}

# Roles normalised for the transcript; any other role (system, developer, tool, function) is dropped.
ROLES: dict[str, str] = {
    "user": "customer",
    "human": "customer",
    "customer": "customer",
    "assistant": "agent",
    "ai": "agent",
    "model": "agent",
    "agent": "agent",
    "bot": "agent",
}


def convention_keys() -> tuple[str, ...]:
    """Every exact attribute key the ingestion reads (the flattened message keys come by prefix)."""
    keys = [
        *CONVERSATION_KEYS,
        *(key for keys in JOURNEY_ATTRIBUTES.values() for key in keys),
        *CONSENT_ATTRIBUTES.values(),
        CSAT_SCORE_KEY,
        *SPAN_KIND_KEYS,
        OPERATION_NAME_KEY,
        *JSON_MESSAGE_KEYS,
        *(key for pair in TURN_PAIRS for key in pair),
        *MIME_TYPE_KEYS.values(),
    ]
    return tuple(dict.fromkeys(keys))


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(sql_string(v) for v in values) + ")"


def sql_case_map(expression: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when {sql_string(k)} then {sql_string(v)}" for k, v in mapping.items())
    return f"case {expression} {whens} end"
