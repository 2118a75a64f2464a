"""The attribute vocabularies of the LLM-tracing conventions the platform ingests.

Each AI convention says how an LLM call records its messages, how a span declares its kind,
and how a tool call looks:

- traceAI: flattened `gen_ai.input.messages.{i}.message.role|content`, kind in `fi.span.kind`
  or `gen_ai.span.kind`;
- OpenInference: flattened `llm.input_messages.{i}.message.role|content`, kind in
  `openinference.span.kind`, and agent spans that carry the turn as `input.value`/`output.value`;
- OpenTelemetry GenAI semantic conventions 1.37+: `gen_ai.input.messages`/`gen_ai.output.messages`
  as JSON strings of `{"role", "parts": [{"type": "text", "content"}]}`, the system prompt in
  `gen_ai.system_instructions`, kind from `gen_ai.operation.name`.

LiveKit voice agents and the human agents' desktop have their own span layouts (`render.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from orchestration.simulate.dialogue import ToolUse
from orchestration.simulate.otlp import AttrValue, Scope

Message = tuple[str, str]  # (role: system | user | assistant, content)

AI_CONVENTIONS = ("traceai", "openinference", "genai")


def tokens(text: str) -> int:
    """A rough token count (about four characters a token), for usage attributes."""
    return max(1, len(text) // 4)


def _flattened(input_prefix: str, output_prefix: str, history: list[Message], reply: str) -> dict[str, AttrValue]:
    attrs: dict[str, AttrValue] = {}
    for i, (role, content) in enumerate(history):
        attrs[f"{input_prefix}.{i}.message.role"] = role
        attrs[f"{input_prefix}.{i}.message.content"] = content
    attrs[f"{output_prefix}.0.message.role"] = "assistant"
    attrs[f"{output_prefix}.0.message.content"] = reply
    return attrs


def compact_json(value: Any) -> str:
    """JSON as instrumentations write it into string attributes: compact, non-ASCII kept (orjson
    writes what `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` does, faster)."""
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class LlmCall:
    history: list[Message]  # system prompt first, then the conversation so far
    reply: str
    model: str
    provider: str
    response_id: str


class TraceAI:
    """traceAI (Future AGI): flattened gen_ai.* message keys."""

    scope = Scope("traceai.openai", "0.1.11")

    def __init__(self, kind_key: str):
        self.kind_key = kind_key  # "fi.span.kind" (older releases) or "gen_ai.span.kind"

    def root(self, agent_name: str) -> dict[str, AttrValue]:
        return {self.kind_key: "AGENT", "gen_ai.agent.name": agent_name}

    def llm(self, call: LlmCall) -> dict[str, AttrValue]:
        prompt = sum(tokens(c) for _, c in call.history)
        return {
            self.kind_key: "LLM",
            "gen_ai.system": call.provider,
            "gen_ai.request.model": call.model,
            "gen_ai.request.temperature": 0.3,
            **_flattened("gen_ai.input.messages", "gen_ai.output.messages", call.history, call.reply),
            "gen_ai.usage.input_tokens": prompt,
            "gen_ai.usage.output_tokens": tokens(call.reply),
        }

    def turn(self, user_text: str | None, reply: str) -> dict[str, AttrValue] | None:
        return None

    def tool(self, use: ToolUse) -> dict[str, AttrValue]:
        return {
            self.kind_key: "TOOL",
            "tool.name": use.name,
            "input.value": compact_json(use.arguments),
            "output.value": compact_json(use.result),
        }


class OpenInference:
    """OpenInference (Arize Phoenix): flattened llm.* message keys and agent turn spans."""

    scope = Scope("openinference.instrumentation.openai", "0.1.30")

    def root(self, agent_name: str) -> dict[str, AttrValue]:
        return {"openinference.span.kind": "CHAIN", "agent.name": agent_name}

    def llm(self, call: LlmCall) -> dict[str, AttrValue]:
        prompt = sum(tokens(c) for _, c in call.history)
        return {
            "openinference.span.kind": "LLM",
            "llm.provider": call.provider,
            "llm.model_name": call.model,
            "llm.invocation_parameters": compact_json({"temperature": 0.3, "max_tokens": 400}),
            **_flattened("llm.input_messages", "llm.output_messages", call.history, call.reply),
            "llm.token_count.prompt": prompt,
            "llm.token_count.completion": tokens(call.reply),
            "llm.token_count.total": prompt + tokens(call.reply),
        }

    def turn(self, user_text: str | None, reply: str) -> dict[str, AttrValue] | None:
        # OpenInference agent spans carry the turn they handled; its text repeats the LLM
        # span's messages, as real traces do (ingestion must not count it twice).
        attrs: dict[str, AttrValue] = {"openinference.span.kind": "AGENT"}
        if user_text is not None:
            attrs.update({"input.value": user_text, "input.mime_type": "text/plain"})
        attrs.update({"output.value": reply, "output.mime_type": "text/plain"})
        return attrs

    def tool(self, use: ToolUse) -> dict[str, AttrValue]:
        return {
            "openinference.span.kind": "TOOL",
            "tool.name": use.name,
            "input.value": compact_json(use.arguments),
            "input.mime_type": "application/json",
            "output.value": compact_json(use.result),
            "output.mime_type": "application/json",
        }


class GenAISemconv:
    """OpenTelemetry GenAI semantic conventions 1.37+: structured messages as JSON strings."""

    scope = Scope("opentelemetry.instrumentation.openai_v2", "2.3b0")

    def __init__(self, plain_content: bool):
        # Some emitters write a message's text as a plain `content` string instead of `parts`.
        self.plain_content = plain_content

    def _message(self, role: str, content: str) -> dict[str, Any]:
        if self.plain_content:
            return {"role": role, "content": content}
        return {"role": role, "parts": [{"type": "text", "content": content}]}

    def root(self, agent_name: str) -> dict[str, AttrValue]:
        return {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent_name}

    def llm(self, call: LlmCall) -> dict[str, AttrValue]:
        system = [c for r, c in call.history if r == "system"]
        messages = [self._message(r, c) for r, c in call.history if r != "system"]
        output = {**self._message("assistant", call.reply), "finish_reason": "stop"}
        attrs: dict[str, AttrValue] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": call.provider,
            "gen_ai.request.model": call.model,
            "gen_ai.response.model": call.model,
            "gen_ai.response.id": call.response_id,
            "gen_ai.response.finish_reasons": ["stop"],
        }
        if system:
            attrs["gen_ai.system_instructions"] = compact_json([{"type": "text", "content": s} for s in system])
        attrs.update(
            {
                "gen_ai.input.messages": compact_json(messages),
                "gen_ai.output.messages": compact_json([output]),
                "gen_ai.usage.input_tokens": sum(tokens(c) for _, c in call.history),
                "gen_ai.usage.output_tokens": tokens(call.reply),
            }
        )
        return attrs

    def turn(self, user_text: str | None, reply: str) -> dict[str, AttrValue] | None:
        return None

    def tool(self, use: ToolUse) -> dict[str, AttrValue]:
        return {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": use.name,
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.arguments": compact_json(use.arguments),
            "gen_ai.tool.call.result": compact_json(use.result),
        }


AiConvention = TraceAI | OpenInference | GenAISemconv
