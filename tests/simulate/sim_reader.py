"""Reads simulated trace files back, independently of the simulator's code, so tests can compare
what is in the files with the ground truth."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

START = date(2026, 10, 5)  # first day of the test simulations
KEY_PRECEDENCE = ("session.id", "gen_ai.conversation.id", "conversation.id", "lk.room_name")
JOURNEY_KEYS = (
    "customer.id", "journey.id", "journey.name", "journey.stage", "journey.stage.outcome", "channel",
    "journey.channel", "agent.type", "customer.segment", "customer.consent",
)
KIND_KEYS = ("fi.span.kind", "gen_ai.span.kind", "openinference.span.kind")


def decode(value: dict[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "intValue":
        return int(inner)
    if kind == "arrayValue":
        return [decode(v) for v in inner.get("values", [])]
    if kind == "kvlistValue":
        return {kv["key"]: decode(kv["value"]) for kv in inner.get("values", [])}
    return inner


@dataclass
class ReadSpan:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start: int
    end: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    file: str

    @property
    def is_llm(self) -> bool:
        return any(self.attributes.get(k) == "LLM" for k in KIND_KEYS) or self.attributes.get("gen_ai.operation.name") == "chat"


def read_lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return data.splitlines()


def read_spans(out_dir: Path) -> list[ReadSpan]:
    spans = []
    for path in sorted(out_dir.iterdir()):
        for line in read_lines(path):
            for rs in json.loads(line)["resourceSpans"]:
                resource = {kv["key"]: decode(kv["value"]) for kv in rs["resource"].get("attributes", [])}
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        spans.append(ReadSpan(
                            s["traceId"], s["spanId"], s.get("parentSpanId"), s["name"],
                            int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]),
                            {kv["key"]: decode(kv["value"]) for kv in s.get("attributes", [])}, resource, path.name,
                        ))
    return spans


@dataclass
class ReadConversation:
    conversation_id: str
    spans: list[ReadSpan] = field(default_factory=list)

    def journey_attributes(self) -> dict[str, Any]:
        """Journey attributes from resource and spans; raises if two places disagree."""
        merged: dict[str, Any] = {}
        for span in self.spans:
            for source in (span.resource, span.attributes):
                for key in JOURNEY_KEYS:
                    if key in source:
                        assert merged.setdefault(key, source[key]) == source[key], (self.conversation_id, key)
        return merged

    def turn_count(self) -> int:
        """Turns as a transcript reconstruction would find them, per convention."""
        llm = [s for s in self.spans if s.is_llm]
        if llm:
            return len(history(max(llm, key=lambda s: s.end))) + 1
        if any("lk.room_name" in s.attributes for s in self.spans):
            return sum(("lk.user_input" in s.attributes) + ("lk.response.text" in s.attributes) for s in self.spans)
        human = [s for s in self.spans if s.attributes.get("agent.type") == "human"]
        return sum(("input.value" in s.attributes) + ("output.value" in s.attributes) for s in human)


def history(llm: ReadSpan) -> list[tuple[str, str]]:
    """The non-system input messages of an LLM span, whatever the convention."""
    a = llm.attributes
    if "gen_ai.input.messages" in a:
        messages = json.loads(a["gen_ai.input.messages"])
        return [(m["role"], m.get("content") or m["parts"][0]["content"]) for m in messages if m["role"] != "system"]
    prefix = "gen_ai.input.messages" if "gen_ai.input.messages.0.message.role" in a else "llm.input_messages"
    out, i = [], 0
    while f"{prefix}.{i}.message.role" in a:
        if a[f"{prefix}.{i}.message.role"] != "system":
            out.append((a[f"{prefix}.{i}.message.role"], a[f"{prefix}.{i}.message.content"]))
        i += 1
    return out


def output(llm: ReadSpan) -> str:
    a = llm.attributes
    if "gen_ai.output.messages" in a:
        m = json.loads(a["gen_ai.output.messages"])[0]
        return m.get("content") or m["parts"][0]["content"]
    prefix = "gen_ai.output.messages" if "gen_ai.output.messages.0.message.role" in a else "llm.output_messages"
    return a[f"{prefix}.0.message.content"]


def conversations(spans: list[ReadSpan]) -> tuple[dict[str, ReadConversation], list[ReadSpan]]:
    """Spans grouped by conversation key (precedence as in the trace contract), and CSAT spans."""
    csat = [s for s in spans if "csat.score" in s.attributes]
    by_trace: dict[str, list[ReadSpan]] = defaultdict(list)
    for s in spans:
        if "csat.score" not in s.attributes:
            by_trace[s.trace_id].append(s)
    convs: dict[str, ReadConversation] = {}
    for trace_id, trace_spans in by_trace.items():
        keys = {next((s.attributes[k] for k in KEY_PRECEDENCE if k in s.attributes), trace_id) for s in trace_spans}
        assert len(keys) == 1, f"trace {trace_id} mixes conversation keys {keys}"
        key = keys.pop()
        convs.setdefault(key, ReadConversation(key)).spans.extend(trace_spans)
    return convs, csat
