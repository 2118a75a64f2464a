"""A planned conversation as the spans a real deployment would emit.

Per conversation this module draws how it was instrumented (`Instrumentation`): the convention,
one trace for the whole conversation or one trace per agent turn, which attribute carries the
conversation key (or none: the trace id), and where the journey attributes sit (root spans, every
span, or the resource). Then it lays out the span tree with timestamps inside the turns'.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from orchestration.simulate.conventions import (
    AiConvention,
    GenAISemconv,
    LlmCall,
    OpenInference,
    TraceAI,
    compact_json,
)
from orchestration.simulate.dialogue import Turn
from orchestration.simulate.journeys import CsatAnswer, PlannedConversation, PlannedJourney
from orchestration.simulate.otlp import (
    SPAN_KIND_CLIENT,
    SPAN_KIND_INTERNAL,
    SPAN_KIND_SERVER,
    STATUS_ERROR,
    STATUS_OK,
    AttrValue,
    IdSource,
    Resource,
    Scope,
    Span,
)
from orchestration.simulate.timing import jitter_us

# Ingestion's order of precedence for the conversation key; the trace id comes last.
KEY_PRECEDENCE = ("session.id", "gen_ai.conversation.id", "conversation.id", "lk.room_name")
KEYS_BY_CONVENTION: dict[str, tuple[tuple[str | None, float], ...]] = {
    "traceai": (("session.id", 0.45), ("gen_ai.conversation.id", 0.25), ("conversation.id", 0.15), (None, 0.15)),
    "openinference": (("session.id", 0.7), ("conversation.id", 0.15), (None, 0.15)),
    "genai": (("gen_ai.conversation.id", 0.55), ("conversation.id", 0.2), ("session.id", 0.1), (None, 0.15)),
    "livekit": (("lk.room_name", 0.7), ("session.id", 0.3)),
    "human": (("conversation.id", 0.55), ("session.id", 0.15), (None, 0.3)),
}
PLACEMENTS = (("root", 0.4), ("every", 0.35), ("resource", 0.25))
MODELS = (("openai", "gpt-4o-mini"), ("openai", "gpt-4.1-mini"), ("anthropic", "claude-3-5-haiku"))
APP_SCOPE = Scope("marquee.agent", "2.7.0")
LIVEKIT_SCOPE = Scope("livekit-agents", "1.2.8")
DESKTOP_SCOPE = Scope("contact-center.desktop", "5.4.2")
SURVEY_SCOPE = Scope("marquee.surveys", "1.0.3")
SEMCONV_SCHEMA = "https://opentelemetry.io/schemas/1.37.0"


@dataclass(frozen=True)
class Instrumentation:
    convention: str  # traceai | openinference | genai | livekit | human
    per_turn: bool  # one trace per agent turn (else one trace per conversation)
    key_attribute: str | None  # None: ingestion keys the conversation by its trace id
    decoy_key: str | None  # a lower-precedence key carrying another id (a ticket number, say)
    placement: str  # root | every | resource
    channel_key: str  # channel | journey.channel
    kind_key: str  # traceAI's span-kind attribute


@dataclass(frozen=True)
class RenderedConversation:
    conversation_id: str
    trace_ids: tuple[str, ...]
    spans: list[Span]
    instrumentation: Instrumentation


def _weighted(rng: random.Random, options: tuple[tuple[str | None, float], ...]) -> str | None:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def choose_instrumentation(conv: PlannedConversation, rng: random.Random) -> Instrumentation:
    if conv.agent_type == "human":
        convention = "human"
    elif conv.channel == "voice" and rng.random() < 0.75:
        convention = "livekit"
    else:
        convention = rng.choice(("traceai", "openinference", "genai"))
    per_turn = convention not in ("livekit",) and rng.random() < (0.3 if convention == "human" else 0.4)
    keys = tuple(k for k in KEYS_BY_CONVENTION[convention] if not (per_turn and k[0] is None))
    key = _weighted(rng, keys)
    lower = [k for k in KEY_PRECEDENCE[:3] if key is not None and KEY_PRECEDENCE.index(k) > KEY_PRECEDENCE.index(key)]
    return Instrumentation(
        convention=convention,
        per_turn=per_turn,
        key_attribute=key,
        decoy_key=rng.choice(lower) if lower and rng.random() < 0.15 else None,
        placement=str(_weighted(rng, PLACEMENTS)),
        channel_key="journey.channel" if rng.random() < 0.2 else "channel",
        kind_key="fi.span.kind" if rng.random() < 0.5 else "gen_ai.span.kind",
    )


def _key_value(attribute: str, rng: random.Random) -> str:
    if attribute == "session.id":
        return f"sess_{rng.getrandbits(64):016x}"
    if attribute == "gen_ai.conversation.id":
        return f"conv_{rng.getrandbits(96):024x}"
    if attribute == "lk.room_name":
        return f"call-{rng.getrandbits(48):012x}"
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _service(convention: str) -> list[tuple[str, AttrValue]]:
    name = {
        "traceai": "marquee-support-agent",
        "openinference": "marquee-assistant",
        "genai": "marquee-agent-gateway",
        "livekit": "marquee-voice-agent",
        "human": "contact-center-desktop",
    }[convention]
    attrs: list[tuple[str, AttrValue]] = [
        ("service.name", name),
        ("service.version", "2.7.0" if convention != "human" else "5.4.2"),
        ("deployment.environment.name", "production"),
        ("telemetry.sdk.name", "opentelemetry"),
        ("telemetry.sdk.language", "java" if convention == "human" else "python"),
        ("telemetry.sdk.version", "1.45.2"),
    ]
    if convention == "openinference":
        attrs.append(("openinference.project.name", "marquee-contact-center"))
    return attrs


class ConversationRenderer:
    """Lays out one conversation's spans; `ids` and `rng` are the simulation's seeded sources."""

    def __init__(self, conv: PlannedConversation, rng: random.Random, ids: IdSource, state_consent: bool = True):
        self.conv = conv
        self.state_consent = state_consent
        self.rng = rng
        self.ids = ids
        self.inst = choose_instrumentation(conv, rng)
        self.key_value = _key_value(self.inst.key_attribute, rng) if self.inst.key_attribute else None
        self.decoy_value = _key_value(self.inst.decoy_key, rng) if self.inst.decoy_key else None
        self.room = self.key_value if self.inst.key_attribute == "lk.room_name" else _key_value("lk.room_name", rng)
        self.provider, self.model = rng.choice(MODELS)
        resource = _service(self.inst.convention)
        if self.inst.placement == "resource":
            # A per-conversation worker (a LiveKit job, a session pod) with the journey on its resource.
            resource += [("service.instance.id", str(uuid.UUID(int=rng.getrandbits(128), version=4)))]
            resource += list(self._journey_attributes().items()) + [("journey.stage.outcome", conv.outcome)]
        schema = SEMCONV_SCHEMA if self.inst.convention == "genai" else ""
        self.resource = Resource(tuple(resource), schema)
        self.spans: list[Span] = []
        self.roots: list[Span] = []

    # -- common --------------------------------------------------------------------------

    def _journey_attributes(self) -> dict[str, AttrValue]:
        c = self.conv
        return {
            "customer.id": c.customer_id,
            "journey.id": c.journey_id,
            "journey.name": c.journey_name,
            "journey.stage": c.stage,
            self.inst.channel_key: c.channel,
            "agent.type": c.agent_type,
            "customer.segment": c.segment,
            **({"customer.consent": c.consent} if self.state_consent else {}),
        }

    def _span(
        self, trace_id: str, parent: Span | None, name: str, kind: int, start: int, end: int,
        attrs: dict[str, AttrValue], scope: Scope,
    ) -> Span:
        span = Span(
            trace_id, self.ids.span_id(), parent.span_id if parent else None, name, kind, start, max(end, start),
            self.resource, scope, dict(attrs),
        )
        self.spans.append(span)
        if parent is None:
            self.roots.append(span)
        return span

    def _ms(self, low: float = 5, high: float = 400) -> int:
        return jitter_us(self.rng, low / 1000, high / 1000)

    def _tool_end(self, start: int, reply_ns: int) -> int:
        """A tool call inside the agent's turn, leaving time for the LLM call that follows it."""
        return start + min(self._ms(80, 1500), (reply_ns - start) // 2)

    def _turn_window(self, turns: tuple[Turn, ...], k: int) -> int:
        """When the work for agent turn k starts: right after the previous turn."""
        if k == 0:  # an opening greeting: generated while the session connects
            return turns[0].ts_ns - self._ms(400, 2000)
        return turns[k - 1].ts_ns + self._ms(20, 300)

    # -- layouts -------------------------------------------------------------------------

    def render(self) -> RenderedConversation:
        layout = {"livekit": self._livekit, "human": self._human}.get(self.inst.convention, self._ai)
        layout()
        self._place_journey_attributes()
        trace_ids = tuple(dict.fromkeys(s.trace_id for s in self.roots))
        return RenderedConversation(self.key_value or trace_ids[0], trace_ids, self.spans, self.inst)

    def _conversation_root(self, trace_id: str, name: str, kind: int, attrs: dict[str, AttrValue], scope: Scope) -> Span:
        turns = self.conv.dialogue.turns
        start = turns[0].ts_ns - self._ms(2100, 4000)  # before any child: a first turn's work starts <= 2 s early
        end = turns[-1].ts_ns + self.conv.dialogue.idle_tail_ns + self._ms(500, 1500)  # after any child
        return self._span(trace_id, None, name, kind, start, end, attrs, scope)

    def _ai(self) -> None:
        conv, inst = self.conv, self.inst
        convention: AiConvention = {
            "traceai": lambda: TraceAI(inst.kind_key),
            "openinference": OpenInference,
            "genai": lambda: GenAISemconv(plain_content=self.rng.random() < 0.15),
        }[inst.convention]()
        turns, dialogue = conv.dialogue.turns, conv.dialogue
        root_attrs = {**convention.root(conv.agent_name), "agent.id": conv.agent_id}
        trace_id = self.ids.trace_id()
        root = None if inst.per_turn else self._conversation_root(
            trace_id, f"invoke_agent {conv.agent_name}" if inst.convention == "genai" else "support_conversation",
            SPAN_KIND_SERVER, root_attrs, APP_SCOPE,
        )
        history = [("system", dialogue.system_prompt)]
        for k, turn in enumerate(turns):
            if turn.role == "customer":
                history.append(("user", turn.text))
                continue
            start = self._turn_window(turns, k)
            parent = root
            if inst.per_turn:
                trace_id = self.ids.trace_id()
                parent = self._span(trace_id, None, "POST /v1/messages", SPAN_KIND_SERVER, start - self._ms(),
                                    turn.ts_ns + self._ms(), root_attrs, APP_SCOPE)
            user_text = turns[k - 1].text if k and turns[k - 1].role == "customer" else None
            wrapper = convention.turn(user_text, turn.text)
            if wrapper is not None:
                parent = self._span(trace_id, parent, "agent_turn", SPAN_KIND_INTERNAL, start, turn.ts_ns, wrapper,
                                    convention.scope)
            if dialogue.tool is not None and dialogue.tool.agent_turn == k:
                tool = dialogue.tool
                end = self._tool_end(start, turn.ts_ns)
                span = self._span(trace_id, parent, f"execute_tool {tool.name}" if inst.convention == "genai" else tool.name,
                                  SPAN_KIND_INTERNAL, start, end, convention.tool(tool), convention.scope)
                span.status_code, span.status_message = (STATUS_ERROR, tool.error) if tool.error else (STATUS_OK, "")
                start = end + self._ms(1, 20)
            call = LlmCall(list(history), turn.text, self.model, self.provider, f"resp_{self.rng.getrandbits(64):016x}")
            self._span(trace_id, parent, f"chat {self.model}" if inst.convention == "genai" else "ChatCompletion",
                       SPAN_KIND_CLIENT, start, turn.ts_ns, convention.llm(call), convention.scope)
            history.append(("assistant", turn.text))

    def _livekit(self) -> None:
        conv, rng = self.conv, self.rng
        turns, dialogue = conv.dialogue.turns, conv.dialogue
        trace_id = self.ids.trace_id()
        root = self._conversation_root(
            trace_id, "agent_session", SPAN_KIND_INTERNAL,
            {"lk.room_name": self.room, "lk.agent_name": conv.agent_name, "lk.job_id": f"AJ_{rng.getrandbits(48):012x}"},
            LIVEKIT_SCOPE,
        )
        for k, turn in enumerate(turns):
            if turn.role == "customer":
                continue
            start = self._turn_window(turns, k)
            attrs: dict[str, AttrValue] = {"lk.speech_id": f"speech_{rng.getrandbits(48):012x}", "lk.interrupted": False}
            if k and turns[k - 1].role == "customer":
                attrs["lk.user_input"] = turns[k - 1].text
                self._span(trace_id, root, "eou_detection", SPAN_KIND_INTERNAL, start - self._ms(300, 900), start,
                           {"lk.eou.probability": round(rng.uniform(0.55, 0.99), 3)}, LIVEKIT_SCOPE)
            agent_turn = self._span(trace_id, root, "agent_turn", SPAN_KIND_INTERNAL, start, turn.ts_ns, attrs, LIVEKIT_SCOPE)
            tool = dialogue.tool
            if tool is not None and tool.agent_turn == k:
                attrs = {
                    "lk.function_tool.name": tool.name,
                    "lk.function_tool.arguments": compact_json(tool.arguments),
                    "lk.function_tool.output": compact_json(tool.result),
                    "lk.function_tool.is_error": tool.error is not None,
                }
                span = self._span(trace_id, agent_turn, "function_tool", SPAN_KIND_INTERNAL, start,
                                  self._tool_end(start, turn.ts_ns), attrs, LIVEKIT_SCOPE)
                span.status_code = STATUS_ERROR if tool.error else 0
            self._span(trace_id, agent_turn, "llm_node", SPAN_KIND_INTERNAL, min(start + self._ms(), turn.ts_ns), turn.ts_ns,
                       {"lk.response.text": turn.text}, LIVEKIT_SCOPE)

    def _human(self) -> None:
        """A contact-center desktop: one span per exchange, the customer's message as
        `input.value` and the agent's reply as `output.value`."""
        conv, rng, inst = self.conv, self.rng, self.inst
        turns = conv.dialogue.turns
        trace_id = self.ids.trace_id()
        queue = {"name": f"{conv.journey_name}.{conv.stage}", "wait_seconds": rng.randint(5, 900), "priority": rng.randint(1, 5)}
        root_attrs: dict[str, AttrValue] = {"agent.id": conv.agent_id, "agent.type": "human", "contact.queue": queue}
        root = None if inst.per_turn else self._conversation_root(trace_id, "contact", SPAN_KIND_SERVER, root_attrs, DESKTOP_SCOPE)
        for incoming, reply in _exchanges(turns):
            attrs: dict[str, AttrValue] = {"agent.type": "human"}
            if incoming is not None:
                attrs["input.value"] = incoming.text
            if reply is not None:
                attrs["output.value"] = reply.text
            present = [t for t in (incoming, reply) if t is not None]
            start, end = present[0].ts_ns, present[-1].ts_ns + self._ms()
            if inst.per_turn:
                trace_id = self.ids.trace_id()
                self._span(trace_id, None, "contact.message", SPAN_KIND_SERVER, start, end, {**root_attrs, **attrs},
                           DESKTOP_SCOPE)
            else:
                self._span(trace_id, root, "agent.message", SPAN_KIND_INTERNAL, start, end, attrs, DESKTOP_SCOPE)

    # -- journey attributes and keys -------------------------------------------------------

    def _place_journey_attributes(self) -> None:
        inst = self.inst
        keys: dict[str, AttrValue] = {}
        if inst.convention == "livekit":
            keys["lk.room_name"] = self.room
        if inst.key_attribute and self.key_value:
            keys[inst.key_attribute] = self.key_value
        if inst.decoy_key and self.decoy_value:
            keys[inst.decoy_key] = self.decoy_value
        journey = self._journey_attributes()
        outcome: dict[str, AttrValue] = {"journey.stage.outcome": self.conv.outcome}
        last_trace = self.roots[-1].trace_id
        roots = {id(r) for r in self.roots}
        for span in self.spans:
            span.attributes.update(keys)
            if inst.placement == "every" or (inst.placement == "root" and id(span) in roots):
                span.attributes.update(journey)
            # The outcome is only known at the end: on the last trace's root, or on all its spans.
            if inst.placement != "resource" and span.trace_id == last_trace and (
                inst.placement == "every" or id(span) in roots
            ):
                span.attributes.update(outcome)


def _exchanges(turns: tuple[Turn, ...]) -> list[tuple[Turn | None, Turn | None]]:
    """Pairs each customer message with the agent reply that follows it; messages without a
    partner (a greeting, a last word) stand alone."""
    pairs: list[tuple[Turn | None, Turn | None]] = []
    pending: Turn | None = None
    for turn in turns:
        if turn.role == "customer":
            if pending is not None:
                pairs.append((pending, None))
            pending = turn
        else:
            pairs.append((pending, turn))
            pending = None
    if pending is not None:
        pairs.append((pending, None))
    return pairs


def csat_span(journey: PlannedJourney, answer: CsatAnswer, rng: random.Random, ids: IdSource) -> Span:
    """A survey answer: a journey event with the journey's ids and the score, no stage."""
    return Span(
        ids.trace_id(), ids.span_id(), None, "csat.survey.response", SPAN_KIND_SERVER,
        answer.recorded_ns, answer.recorded_ns + jitter_us(rng, 0.01, 0.3),
        Resource((("service.name", "marquee-surveys"), ("service.version", "1.0.3"),
                  ("deployment.environment.name", "production"))),
        SURVEY_SCOPE,
        {
            "journey.id": journey.journey_id,
            "customer.id": journey.customer_id,
            "journey.name": journey.journey_name,
            "csat.score": answer.score,
            "survey.channel": answer.survey_channel,
            "survey.id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        },
    )
