"""Turns are varied natural language, coherent with the conversation's outcome and friction."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date

import pytest
from sim_reader import conversations, read_spans

from orchestration.simulate.dialogue import DialogueSpec, compose
from orchestration.simulate.phrasebook import phrasebook, render
from orchestration.simulate.profiles import customer_slots, journey_slots

THANKS = re.compile(r"\b(thank|thanks|thx|ty|cheers)\b", re.IGNORECASE)
HANDOFF = re.compile(r"specialist|transfer|connect|call you|passed|team", re.IGNORECASE)
FAILURE = re.compile(r"sorry|unfortunately|afraid|can't|couldn't|unable|expired|declined|outage|isn't|not able",
                     re.IGNORECASE)
SLOT_OR_CHOICE = re.compile(r"[\[\]{}]")


def _slots(rng: random.Random) -> dict[str, str]:
    slots = journey_slots(customer_slots("test-customer", rng), date(2026, 10, 5), rng)
    return {**slots, "agent_name": "Ava", "brand": "Marquee", "stage_label": "sign up", "prev_agent": "Sam",
            "team": "payments team", "when": "yesterday", "task": "your payment", "customer_task": "pay",
            "customer_task_noun": "my payment"}


def _templates(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [t for item in node for t in _templates(item)]
    if isinstance(node, dict):
        return [t for value in node.values() for t in _templates(value)]
    return []


def test_every_template_in_the_phrase_bank_renders():
    rng = random.Random(1)
    slots = _slots(rng)
    templates = _templates({k: v for k, v in phrasebook().items() if k != "vocab"}) + _templates(
        phrasebook()["vocab"]["dispute_problems"]
    )
    assert len(templates) > 400
    for template in templates:
        for _ in range(3):  # several draws reach different alternatives
            text = render(template, slots, rng)
            assert not SLOT_OR_CHOICE.search(text), (template, text)


def _dialogue(seed: int, **overrides):
    rng = random.Random(seed)
    spec = {"journey": "streaming_onboarding", "stage": "app-install", "channel": "chat", "agent_type": "ai",
            "agent_name": "Ava", "outcome": "completed", "opening": "fresh", "slots": _slots(rng),
            "start_ns": 1_790_000_000_000_000_000, **overrides}
    return compose(DialogueSpec(**spec), rng), spec["slots"]


@pytest.mark.parametrize("channel", ["chat", "voice", "email", "sms"])
@pytest.mark.parametrize("agent_type", ["ai", "human"])
def test_completed_conversations_end_with_confirmation_and_thanks(channel, agent_type):
    for seed in range(30):
        dialogue, _ = _dialogue(seed, channel=channel, agent_type=agent_type)
        turns = dialogue.turns
        assert dialogue.ending == "resolved"
        last_customer = max(i for i, t in enumerate(turns) if t.role == "customer")
        assert THANKS.search(turns[last_customer].text), turns[last_customer].text
        assert turns[last_customer - 1].role == "agent"  # the confirmation the customer thanks for
        assert len(turns) - last_customer <= 2
        if agent_type == "ai":
            assert turns[-1].role == "agent", "only an LLM call records the customer's last message"
        assert [t.ts_ns for t in turns] == sorted(t.ts_ns for t in turns)


def test_escalated_and_transferred_conversations_end_with_a_handoff():
    for seed in range(40):
        for outcome in ("escalated", "transferred"):
            dialogue, _ = _dialogue(seed, outcome=outcome, escalate_to="voice")
            assert dialogue.ending == "handoff"
            assert any(HANDOFF.search(t.text) for t in dialogue.turns[-3:] if t.role == "agent")


def test_abandoned_conversations_end_with_leaving_silence_or_failure():
    endings = set()
    for seed in range(60):
        dialogue, _ = _dialogue(seed, outcome="abandoned")
        endings.add(dialogue.ending)
        assert not THANKS.search(dialogue.turns[-1].text) or dialogue.turns[-1].role == "agent"
        if dialogue.ending == "failed":
            assert any(FAILURE.search(t.text) for t in dialogue.turns[-3:] if t.role == "agent")
        if dialogue.ending == "silent":
            assert dialogue.idle_tail_ns > 0
    assert endings == {"left", "silent", "failed"}
    for seed in range(20):  # a planted poor-resolution friction always fails visibly
        assert _dialogue(seed, outcome="abandoned", failing=True)[0].ending == "failed"


def test_reask_friction_asks_again_and_the_customer_repeats_with_annoyance():
    for seed in range(30):
        dialogue, slots = _dialogue(seed, reask_from="content-prefs", known_stages=("sign-up", "payment"),
                                    when_key="one_day")
        assert slots["genres"] not in dialogue.system_prompt, "the agent was not given the preferences"
        repeats = [t.text for t in dialogue.turns if t.role == "customer" and slots["genres"].lower() in t.text.lower()]
        assert repeats and all(re.search(r"already|again", t, re.IGNORECASE) for t in repeats)
        informed, _ = _dialogue(seed, known_stages=("sign-up", "payment", "content-prefs"))
        assert slots["genres"] in informed.system_prompt
        assert not any(re.search(r"already (told|answered)", t.text) for t in informed.turns)


def test_voice_spells_out_emails_and_email_has_letters():
    said = " ".join(t.text for s in range(30) for t in _dialogue(s, stage="sign-up", channel="voice")[0].turns
                    if t.role == "customer")  # what speech recognition transcribes
    assert " dot com" in said and "@" not in said
    email, slots = _dialogue(3, stage="sign-up", channel="email", agent_type="human", agent_name="Dana")
    agent = [t.text for t in email.turns if t.role == "agent"]
    assert all(t.startswith(f"Hi {slots['first_name']},") and "Dana" in t.splitlines()[-2] for t in agent)


def test_agent_utterances_vary_within_every_stage(small_run, journey_map):
    convs, _ = conversations(read_spans(small_run.out_dir))
    skeletons = defaultdict(set)
    for conv in convs.values():
        stage = conv.journey_attributes()["journey.stage"]
        for span in conv.spans:
            a = span.attributes
            for key in ("lk.response.text", "gen_ai.output.messages.0.message.content",
                        "llm.output_messages.0.message.content"):
                if key in a:
                    skeletons[stage].add(" ".join(re.sub(r"[^a-z ]", "", a[key].lower()).split()[:5]))
    for journey in journey_map.journeys.values():
        for stage in journey.stage_names:
            # distinct ways the agents open their messages, names and numbers aside
            assert len(skeletons[stage]) >= 30, (stage, len(skeletons[stage]))
