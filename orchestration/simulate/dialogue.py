"""Natural-language turns of one conversation, coherent with its stage and outcome.

A conversation is assembled from dialogue acts (greeting, the customer's request, the stage's
slot-filling questions, side questions, the outcome's ending), each drawn from many paraphrases
in `phrases.yaml` and filled with the customer's own details. Completed conversations end with
the agent confirming and the customer thanking; abandoned ones with the customer leaving,
going silent, or a failure notice and frustration; escalated and transferred ones with a
hand-off. An AI agent always has the last word, because only an LLM call records a customer's
message in the trace.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.simulate.phrasebook import phrasebook, pick, render, stage_script
from orchestration.simulate.style import agent_style, customer_style
from orchestration.simulate.timing import jitter_us, turn_gap_ns

# Channels where consecutive messages of one speaker become one message: one letter, one utterance.
MERGING_CHANNELS = ("email", "voice")
STEPS_PER_CHANNEL = {"email": (1, 2), "sms": (1, 3), "chat": (2, 4), "voice": (2, 4)}


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" | "agent"
    text: str
    ts_ns: int


@dataclass(frozen=True)
class ToolUse:
    """A tool the agent called while producing `turns[agent_turn]`."""

    agent_turn: int
    name: str
    arguments: dict[str, str]
    result: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class DialogueSpec:
    """What the journey planner decided about a conversation; the text follows from it."""

    journey: str
    stage: str
    channel: str
    agent_type: str
    agent_name: str
    outcome: str
    opening: str  # "fresh" | "handoff" | "return" | "retry"
    slots: Mapping[str, str]
    start_ns: int
    prev_agent: str | None = None
    escalate_to: str | None = None  # channel of the hand-off an escalation leads to
    reask_from: str | None = None  # earlier stage whose facts this agent asks for again
    known_stages: tuple[str, ...] = ()  # earlier stages whose facts this agent was given
    when_key: str | None = None  # how long ago the earlier contact was (see timing.when_phrase_key)
    failing: bool = False  # a planted poor-resolution friction: endings are failures
    with_tool: bool = False


@dataclass(frozen=True)
class Dialogue:
    turns: tuple[Turn, ...]
    system_prompt: str
    tool: ToolUse | None
    # An idle tail after the last turn: a session that times out when the customer goes silent.
    idle_tail_ns: int = 0
    ending: str = "resolved"  # resolved | left | silent | failed | handoff


@dataclass
class _Builder:
    spec: DialogueSpec
    rng: random.Random
    slots: dict[str, str]
    script: dict[str, Any]
    lines: list[tuple[str, str]] = field(default_factory=list)
    tool_turn: int | None = None
    tool_error: str | None = None

    @property
    def common(self) -> dict[str, Any]:
        return phrasebook()["common"]

    def say(self, role: str, text: str) -> None:
        if text:
            self.lines.append((role, text[:1].upper() + text[1:]))

    def agent(self, key: str) -> None:
        self.say("agent", pick(self.common[key], self.slots, self.rng))

    def customer(self, key: str) -> None:
        self.say("customer", pick(self.common[key], self.slots, self.rng))


def _slots(spec: DialogueSpec, script: dict[str, Any], rng: random.Random) -> dict[str, str]:
    bank = phrasebook()
    slots = {
        **spec.slots,
        "agent_name": spec.agent_name,
        "brand": bank["brand"],
        "stage_label": spec.stage.replace("-", " "),
        "prev_agent": spec.prev_agent or "our assistant",
        "team": bank["vocab"]["teams"].get(script["team"], "support team"),
    }
    if spec.when_key:
        slots["when"] = rng.choice(bank["common"]["when_phrases"][spec.when_key])
    for key in ("task", "customer_task", "customer_task_noun"):
        slots[key] = render(script[key], slots, rng)
    return slots


def _opening(b: _Builder) -> None:
    spec, rng = b.spec, b.rng
    if spec.opening == "handoff":
        b.agent("agent_handoff_greeting")
        b.customer("customer_handoff_confirm")
        return
    greeting = b.common["greeting"][f"{spec.channel}_{spec.agent_type}"]
    if spec.channel == "voice" or (spec.channel in ("chat", "sms") and rng.random() < 0.4):
        b.say("agent", pick(greeting, b.slots, rng))
    elif spec.channel == "chat" and rng.random() < 0.25:
        b.customer("customer_hello")
        b.say("agent", pick(greeting, b.slots, rng))
    if spec.opening == "fresh":
        b.say("customer", pick(b.script["opening"], b.slots, rng))
    else:
        b.customer("customer_return" if spec.opening == "return" else "customer_retry")


def _context_line(b: _Builder) -> str:
    """The agent showing it knows what the customer said at an earlier stage."""
    known = [s for s in b.spec.known_stages if stage_script(b.spec.journey, s).get("facts_known")]
    if not known or b.rng.random() < 0.4:
        return ""
    return pick(stage_script(b.spec.journey, known[-1])["facts_known"], b.slots, b.rng)


def _exchanges(b: _Builder, leave: bool) -> bool:
    """The stage's questions and answers. Returns False when the customer leaves mid-way."""
    spec, rng, script = b.spec, b.rng, b.script
    low, high = STEPS_PER_CHANNEL[spec.channel]
    steps = script["steps"]
    chosen = [steps[i] for i in sorted(rng.sample(range(len(steps)), min(len(steps), rng.randint(low, high))))]
    exchanges: list[tuple[list[str], list[str] | None]] = [(s["ask"], s["answer"]) for s in chosen]
    if spec.reask_from:
        source = stage_script(spec.journey, spec.reask_from)["facts_reask"]
        exchanges.insert(rng.randint(0, min(1, len(exchanges))), (source["ask"], None))
    leave_at = rng.randrange(len(exchanges)) if leave else None
    faq_at = rng.randint(0, len(exchanges)) if script.get("faq") and rng.random() < 0.3 else None
    prefix = " ".join(
        p for p in (pick(b.common["ack"], b.slots, rng), "" if spec.reask_from else _context_line(b)) if p
    )
    if spec.channel == "email" and spec.opening != "handoff":  # a first reply introduces the agent
        prefix = f"{pick(b.common['greeting'][f'email_{spec.agent_type}'], b.slots, rng)} {prefix}"
    for i, (asks, answers) in enumerate(exchanges):
        if i == faq_at:
            faq = rng.choice(script["faq"])
            b.say("customer", pick(faq["q"], b.slots, rng))
            prefix = f"{prefix} {pick(faq['a'], b.slots, rng)}".strip()
        b.say("agent", f"{prefix} {pick(asks, b.slots, rng)}".strip())
        if i == leave_at:
            return False
        if answers is None:  # the re-ask: the customer repeats facts with visible annoyance
            source = stage_script(spec.journey, spec.reask_from or "")["facts_reask"]
            answer = pick(source["answer"], b.slots, rng)
            b.say("customer", f"{pick(b.common['already_told'], b.slots, rng)} {answer[:1].upper()}{answer[1:]}")
        else:
            b.say("customer", pick(answers, b.slots, rng))
        prefix = pick(b.common["answer_ack"], b.slots, rng) if rng.random() < 0.4 else ""
    return True


def _mark_tool(b: _Builder, error: str | None = None) -> None:
    b.tool_turn = len(b.lines)  # the next agent line is produced with the tool's result
    b.tool_error = error


def _ending(b: _Builder) -> str:
    spec, rng = b.spec, b.rng
    ai = spec.agent_type == "ai"
    if spec.outcome == "completed":
        if rng.random() < 0.3:
            b.agent("hold")
        _mark_tool(b)
        success = pick(b.script["success"], b.slots, rng)
        more = pick(b.common["agent_anything_else"], b.slots, rng) if rng.random() < 0.45 else ""
        b.say("agent", f"{success} {more}".strip())
        b.customer("customer_thanks")
        if ai or rng.random() < 0.6:
            b.agent("agent_closing")
        return "resolved"
    if spec.outcome in ("escalated", "transferred"):
        if spec.outcome == "escalated":
            if rng.random() < 0.5:
                b.customer("customer_request_human")
                intro = ""
            else:
                intro = pick(b.common["agent_escalate_intro"], b.slots, rng)
            target = b.common["agent_escalate"][spec.escalate_to or spec.channel]
            b.say("agent", f"{intro} {render(target, b.slots, rng)}".strip())
        else:
            b.agent("agent_transfer")
        b.customer("customer_ok")
        if ai:
            b.agent("agent_handoff_bye")
        return "handoff"
    # abandoned: a failure notice and frustration (always when a poor-resolution friction hits)
    failure = pick(b.script["failure"], b.slots, rng)
    _mark_tool(b, error=failure)
    b.say("agent", failure)
    b.customer("customer_frustrated")
    if ai or rng.random() < 0.7:
        b.agent("agent_apology")
    return "failed"


def _abandon_mode(spec: DialogueSpec, rng: random.Random) -> str:
    if spec.outcome != "abandoned" or spec.failing:
        return "none"
    return rng.choices(("left", "silent", "failed"), weights=(0.35, 0.25, 0.4))[0]


def _merged(lines: list[tuple[str, str]], channel: str) -> list[tuple[str, str, tuple[int, ...]]]:
    """Lines as sent, with the indices of the builder lines each one carries."""
    merged: list[tuple[str, str, tuple[int, ...]]] = []
    for i, (role, text) in enumerate(lines):
        if merged and merged[-1][0] == role and channel in MERGING_CHANNELS:
            _, last_text, origins = merged[-1]
            merged[-1] = (role, last_text + (" " if channel == "voice" else "\n\n") + text, (*origins, i))
        else:
            merged.append((role, text, (i,)))
    return merged


def _system_prompt(b: _Builder) -> str:
    common, rng, slots = b.common, b.rng, b.slots
    prompt = pick(common["system_prompt"], slots, rng)
    prompt += f"\nCustomer: {slots['full_name']} ({slots['email']}), plan {slots['plan']}."
    known = [stage_script(b.spec.journey, s).get("facts_known") for s in b.spec.known_stages]
    context = [pick(k, slots, rng) for k in known if k]
    if context:
        prompt += f"\n{pick(common['context_intro'], slots, rng)} " + " ".join(context)
    return prompt


def _tool(b: _Builder, agent_turn: int) -> ToolUse:
    spec = b.script["tool"]
    fill = lambda v: render(v, b.slots, b.rng) if isinstance(v, str) else v
    return ToolUse(
        agent_turn=agent_turn,
        name=spec["name"],
        arguments={k: fill(v) for k, v in spec["arguments"].items()},
        result={"status": "error", "message": b.tool_error} if b.tool_error else {k: fill(v) for k, v in spec["result"].items()},
        error=b.tool_error,
    )


def compose(spec: DialogueSpec, rng: random.Random) -> Dialogue:
    """The conversation's turns with timestamps, its system prompt, and the tool it used."""
    script = stage_script(spec.journey, spec.stage)
    b = _Builder(spec, rng, _slots(spec, script, rng), script)
    _opening(b)
    mode = _abandon_mode(spec, rng)
    idle_tail = 0
    if _exchanges(b, leave=mode in ("left", "silent")):
        ending = _ending(b)
    else:
        ending = mode
        if mode == "left":
            b.customer("customer_leave")
            if spec.agent_type == "ai" or rng.random() < 0.5:
                b.agent("agent_after_leave")
        else:
            idle_tail = jitter_us(rng, 120, 900)
            if spec.channel in ("chat", "sms") and rng.random() < 0.5:
                b.say("agent", pick(phrasebook()["vocab"]["non_reply_closers"], b.slots, rng))
    system_prompt = _system_prompt(b)

    turns: list[Turn] = []
    tool_index: int | None = None
    ts = spec.start_ns + jitter_us(rng, 0.2, 3)
    for role, text, origins in _merged(b.lines, spec.channel):
        style = customer_style if role == "customer" else agent_style
        text = style(text, spec.channel, b.slots, rng)
        if turns:
            ts += turn_gap_ns(rng, spec.channel, role, spec.agent_type, text)
        if b.tool_turn in origins:
            tool_index = len(turns)
        turns.append(Turn(role, text, ts))
    with_tool = spec.with_tool and spec.agent_type == "ai" and tool_index is not None
    return Dialogue(tuple(turns), system_prompt, _tool(b, tool_index) if with_tool else None, idle_tail, ending)
