"""How journeys unfold: stages in map order, channels, agents, outcomes, hand-offs, returns.

Each journey draws from its own RNG (seeded by the simulation seed and the journey's index),
so journey 17 is the same journey whether 100 or 1,000 are simulated. Within a journey:

- a *visit* to a stage is one or more conversations less than a day apart: the first one, plus
  hand-offs after an escalation or transfer (minutes later, often on another channel) and a
  quick retry after an abandonment (hours later). None of these is a re-entry;
- after an abandoned visit the customer may come back days later (a re-entry), carry on to the
  next stage without finishing this one (completed by progression), or drop off;
- after a completed stage the customer usually moves on, sometimes goes back once to an earlier
  stage (a re-entry by interleaving), or drops off;
- a conversation starting after the window ends never happens: the journey is in progress.

Planted frictions (`scenario.Friction`) are drawn per matching conversation and recorded.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from faker import Faker

from orchestration.journey_map import Journey, JourneyMap
from orchestration.simulate.dialogue import Dialogue, DialogueSpec, compose
from orchestration.simulate.phrasebook import phrasebook
from orchestration.simulate.profiles import customer_slots, journey_slots
from orchestration.simulate.scenario import OUTCOMES, SEGMENTS, Friction, FrictionKind, Scenario
from orchestration.simulate.timing import (
    NS_PER_DAY,
    day_of,
    handoff_ns,
    jitter_us,
    journey_start_ns,
    midnight_ns,
    next_stage_ns,
    retry_ns,
    return_ns,
    when_phrase_key,
)
from orchestration.simulate.truth import ConversationFacts

MAX_CONVERSATIONS_PER_JOURNEY = 14
HUMAN_AGENTS = 24
RETURNING_CUSTOMER_MIN_AGE_NS = 3 * NS_PER_DAY


@dataclass(frozen=True)
class PlannedConversation(ConversationFacts):
    agent_id: str
    agent_name: str
    handoff_from: int | None  # index (in the journey) of the conversation this one continues
    escalated_to: str | None  # channel of the hand-off an escalation announced
    dialogue: Dialogue

    @property
    def start_ns(self) -> int:
        return self.dialogue.turns[0].ts_ns

    @property
    def end_ns(self) -> int:
        return self.dialogue.turns[-1].ts_ns + self.dialogue.idle_tail_ns


@dataclass(frozen=True)
class CsatAnswer:
    score: int
    recorded_ns: int
    survey_channel: str


@dataclass
class PlannedJourney:
    index: int
    journey_id: str
    customer_id: str
    journey_name: str
    segment: str
    consent: str
    final_stage: str  # the journey map's last stage for this journey
    status: str = "in_progress"  # finished | dropped | in_progress
    conversations: list[PlannedConversation] = field(default_factory=list)
    csat: list[CsatAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class _Customer:
    customer_id: str
    journey_name: str
    first_contact_ns: int


@dataclass(frozen=True)
class JourneyHead:
    """The part of a journey that depends on the journeys before it (who the customer is), with
    the journey's RNG as it stands after that draw: the rest of the plan depends on nothing else,
    so it can be unfolded anywhere (another process) and comes out the same."""

    index: int
    rng: random.Random
    journey_name: str
    first_ns: int
    segment: str
    customer_id: str


@dataclass
class _State:
    """What the planner tracks while one journey unfolds."""

    rng: random.Random
    journey: Journey
    plan: PlannedJourney
    slots: dict[str, str]
    withdraw_at: int | None
    visits: Counter = field(default_factory=Counter)
    censored: bool = False

    @property
    def convs(self) -> list[PlannedConversation]:
        return self.plan.conversations

    def last_at(self, stage: str) -> PlannedConversation | None:
        return next((c for c in reversed(self.convs) if c.stage == stage), None)


class JourneyPlanner:
    """Plans journeys one by one (in index order: later journeys may reuse earlier customers)."""

    def __init__(self, journey_map: JourneyMap, scenario: Scenario, seed: int, start: date, days: int):
        self.map = journey_map
        self.scenario = scenario
        self.seed = seed
        self.start = start
        self.days = days
        self.window_end_ns = midnight_ns(start + timedelta(days=days))
        self.journey_mix = [(n, w) for n, w in scenario.journey_mix.items() if w > 0 and journey_map.journey(n)]
        self.customers: list[_Customer] = []
        # Each customer's first contact and journey (as an index into journey_mix), kept as arrays
        # so finding the earlier customers of other journeys is one vectorised scan, not a Python
        # loop over every customer so far (which made a large day quadratic).
        self._first_contacts = array("q")
        self._journey_codes = array("b")
        fake = Faker("en_US")
        fake.seed_instance(f"{seed}/agents")
        self.human_agents = [fake.first_name() for _ in range(HUMAN_AGENTS)]

    # -- one journey -------------------------------------------------------------------------

    def head(self, index: int) -> JourneyHead:
        """Draw who the journey's customer is; call in index order (a customer may come back)."""
        rng = random.Random(f"{self.seed}/journey/{index}")
        name = _weighted(rng, self.journey_mix)
        first_ns = journey_start_ns(rng, self.start, self.days)
        segment_mix = self.scenario.segment_mix.get(name) or {s: 1.0 for s in SEGMENTS}
        segment = _weighted(rng, list(segment_mix.items()))
        customer = self._customer(rng, name, segment, first_ns)
        return JourneyHead(index, rng, name, first_ns, segment, customer.customer_id)

    def unfold(self, head: JourneyHead) -> PlannedJourney:
        """The rest of the journey, from its head alone (in any order, in any process)."""
        rng, name = head.rng, head.journey_name
        journey = self.map.journeys[name]
        consent = _weighted(rng, list(self.scenario.consent_mix.items()))
        plan = PlannedJourney(
            head.index, f"jrn_{rng.getrandbits(48):012x}", head.customer_id, name, head.segment, consent,
            journey.stages[-1].name,
        )
        # Faker and the customer's own RNG are seeded by the customer id: the same person each time.
        customer_key = f"{self.seed}/{head.customer_id}"
        state = _State(
            rng=rng,
            journey=journey,
            plan=plan,
            slots=journey_slots(customer_slots(customer_key, random.Random(customer_key)), day_of(head.first_ns), rng),
            withdraw_at=rng.randint(1, 4) if consent == "withdrawn" else None,
        )
        self._unfold(state, head.first_ns)
        if plan.conversations:
            plan.consent = plan.conversations[-1].consent
        self._surveys(state)
        return plan

    def _customer(self, rng: random.Random, journey: str, segment: str, first_ns: int) -> _Customer:
        if segment != "new" and len(earlier := self._earlier_customers(journey, first_ns)) and (
            rng.random() < self.scenario.returning_customer_share
        ):
            return self.customers[int(rng.choice(earlier))]
        customer = _Customer(f"cus_{rng.getrandbits(48):012x}", journey, first_ns)
        self.customers.append(customer)
        self._first_contacts.append(first_ns)
        self._journey_codes.append(self._journey_code(journey))
        return customer

    def _journey_code(self, journey: str) -> int:
        return next(i for i, (name, _) in enumerate(self.journey_mix) if name == journey)

    def _earlier_customers(self, journey: str, first_ns: int) -> np.ndarray:
        """Indices, in order of arrival, of the customers of other journeys whose first contact is
        old enough for them to come back as a returning customer of this one."""
        if not self.customers:
            return np.empty(0, dtype=np.int64)
        first_contacts = np.frombuffer(self._first_contacts, dtype=np.int64)
        journey_codes = np.frombuffer(self._journey_codes, dtype=np.int8)
        old_enough = first_contacts < first_ns - RETURNING_CUSTOMER_MIN_AGE_NS
        return np.flatnonzero(old_enough & (journey_codes != self._journey_code(journey)))

    def _unfold(self, s: _State, t: int) -> None:
        stages, sc, rng = s.journey.stages, self.scenario, s.rng
        pos = 0
        while pos < len(stages) and len(s.convs) < MAX_CONVERSATIONS_PER_JOURNEY:
            stage = stages[pos]
            behaviour = sc.stage(s.journey.name, stage.name)
            if pos > 0 and rng.random() < behaviour.skip:
                pos += 1
                continue
            last = self._visit(s, pos, t)
            if last is None:
                return  # the window ended first: the journey is in progress
            if last.outcome == "completed":
                visited_before = [st for st in stages[:pos] if s.visits[st.name]]
                if pos >= 2 and visited_before and rng.random() < sc.backtrack:
                    back = rng.choice(visited_before)
                    last = self._visit(s, back.order - 1, next_stage_ns(rng, last.end_ns)) or last
                    if s.censored:
                        return
                if pos == len(stages) - 1:
                    s.plan.status = "finished"
                    return
                if rng.random() >= behaviour.proceed:
                    break
                pos, t = pos + 1, next_stage_ns(rng, last.end_ns)
                continue
            draw = rng.random()
            if draw < sc.abandon_return and s.visits[stage.name] < sc.max_visits_per_stage:
                t = return_ns(rng, last.end_ns)
            elif draw < sc.abandon_return + sc.abandon_self_serve and pos < len(stages) - 1:
                pos, t = pos + 1, next_stage_ns(rng, last.end_ns)
            else:
                break
        s.plan.status = "dropped"

    def _visit(self, s: _State, pos: int, t: int) -> PlannedConversation | None:
        """One visit to `stages[pos]`; returns its last conversation, or None if censored."""
        rng, sc = s.rng, self.scenario
        stage = s.journey.stages[pos]
        opening = "return" if s.visits[stage.name] else "fresh"
        s.visits[stage.name] += 1
        visit, reentry = s.visits[stage.name], s.visits[stage.name] > 1
        channel = self._channel(rng, s.journey, stage.name)
        agent_type = self._agent_type(rng, channel, s.plan.segment)
        handoff_from: int | None = None
        hops = retries = 0
        while True:
            if t >= self.window_end_ns or len(s.convs) >= MAX_CONVERSATIONS_PER_JOURNEY:
                s.censored = t >= self.window_end_ns
                return None
            conv = self._conversation(
                s, pos, t, channel, agent_type, opening, visit, reentry and handoff_from is None and not retries,
                handoff_from, final_hop=hops >= sc.max_handoffs_per_visit,
            )
            s.convs.append(conv)
            if conv.outcome in ("escalated", "transferred"):
                hops += 1
                handoff_from, opening = len(s.convs) - 1, "handoff"
                if conv.outcome == "escalated":
                    channel, agent_type = conv.escalated_to or channel, "human"
                else:
                    agent_type = "human" if rng.random() < 0.7 else "ai"
                t = handoff_ns(rng, conv.end_ns, channel)
                continue
            if conv.outcome == "abandoned" and not retries and rng.random() < sc.abandon_retry:
                retries += 1
                handoff_from, opening = None, "retry"
                t = retry_ns(rng, conv.end_ns)
                continue
            return conv

    def _conversation(
        self, s: _State, pos: int, t: int, channel: str, agent_type: str, opening: str, visit: int,
        reentry: bool, handoff_from: int | None, final_hop: bool,
    ) -> PlannedConversation:
        rng, sc = s.rng, self.scenario
        stage = s.journey.stages[pos]
        earlier = [st.name for st in s.journey.stages[:pos] if s.last_at(st.name)]
        hits = [
            f for f in sc.frictions
            if f.matches(s.journey.name, stage.name, channel, agent_type)
            and (f.kind is not FrictionKind.REASK or f.reask_from_stage in earlier)
            and rng.random() < f.rate
        ]
        reask = next((f for f in hits if f.kind is FrictionKind.REASK), None)
        outcome = self._outcome(rng, s.journey.name, stage.name, agent_type, s.plan.segment, hits, final_hop)
        escalate_to = self._escalation_channel(rng, s.journey, channel) if outcome == "escalated" else None
        since = s.last_at(reask.reask_from_stage) if reask else s.last_at(stage.name)
        previous = s.convs[handoff_from] if handoff_from is not None else None
        agent_id, agent_name = self._agent(rng, agent_type)
        spec = DialogueSpec(
            journey=s.journey.name,
            stage=stage.name,
            channel=channel,
            agent_type=agent_type,
            agent_name=agent_name,
            outcome=outcome,
            opening=opening,
            slots=s.slots,
            start_ns=t,
            prev_agent=previous and _agent_label(previous),
            escalate_to=escalate_to,
            reask_from=reask.reask_from_stage if reask else None,
            known_stages=tuple(e for e in earlier if not reask or e != reask.reask_from_stage),
            when_key=when_phrase_key(t - since.end_ns) if since else None,
            failing=any(f.kind is FrictionKind.POOR_RESOLUTION for f in hits),
            with_tool=rng.random() < sc.tool_call_rate,
        )
        withdrawn = s.withdraw_at is not None and len(s.convs) >= s.withdraw_at
        return PlannedConversation(
            journey_id=s.plan.journey_id,
            customer_id=s.plan.customer_id,
            journey_name=s.journey.name,
            stage=stage.name,
            stage_order=stage.order,
            channel=channel,
            agent_type=agent_type,
            agent_id=agent_id,
            agent_name=agent_name,
            segment=s.plan.segment,
            consent="withdrawn" if withdrawn else ("granted" if s.plan.consent == "withdrawn" else s.plan.consent),
            outcome=outcome,
            visit=visit,
            reentry=reentry,
            handoff_from=handoff_from,
            escalated_to=escalate_to,
            frictions=tuple(f.name for f in hits),
            reask_of_earlier_stage_facts=reask is not None,
            # The words draw from their own stream, so editing the phrase bank leaves outcomes be.
            dialogue=compose(spec, random.Random(f"{self.seed}/dialogue/{s.plan.index}/{len(s.convs)}")),
        )

    def _outcome(
        self, rng: random.Random, journey: str, stage: str, agent_type: str, segment: str,
        hits: list[Friction], final_hop: bool,
    ) -> str:
        sc = self.scenario
        b = sc.stage(journey, stage)
        completion, escalation, transfer = b.completion, b.escalation, b.transfer
        if agent_type == "human":
            # Humans rarely escalate further; what they do not escalate, they mostly resolve.
            completion += sc.human_completion_bonus + escalation * 0.7
            escalation *= 0.3
        if segment == "premium":
            completion += sc.premium_completion_bonus
        completion -= sum(f.completion_drop for f in hits)
        if final_hop:
            escalation = transfer = 0.0
        completion = min(max(completion, 0.02), 1.0 - escalation - transfer)
        abandon = 1.0 - completion - escalation - transfer
        return rng.choices(OUTCOMES, weights=(completion, abandon, escalation, transfer))[0]

    def _channel(self, rng: random.Random, journey: Journey, stage: str) -> str:
        weights = self.scenario.stage(journey.name, stage).channels
        allowed = [(c, weights.get(c, 0.0)) for c in journey.channels]
        if not any(w > 0 for _, w in allowed):
            allowed = [(c, 1.0) for c in journey.channels]
        return _weighted(rng, allowed)

    def _escalation_channel(self, rng: random.Random, journey: Journey, channel: str) -> str:
        """Escalations mostly become a call back from a human; otherwise a human on the same channel."""
        if "voice" in journey.channels and (channel == "voice" or rng.random() < 0.6):
            return "voice"
        return channel

    def _agent_type(self, rng: random.Random, channel: str, segment: str) -> str:
        share = self.scenario.human_share.get(channel, 0.0)
        share += self.scenario.premium_human_bonus if segment == "premium" else 0.0
        return "human" if rng.random() < share else "ai"

    def _agent(self, rng: random.Random, agent_type: str) -> tuple[str, str]:
        if agent_type == "human":
            i = rng.randrange(len(self.human_agents))
            return f"agt-{i + 1:03d}", self.human_agents[i]
        name = rng.choice(phrasebook()["vocab"]["ai_agent_names"])
        return f"ai-{name.lower()}", name

    # -- CSAT --------------------------------------------------------------------------------

    def _surveys(self, s: _State) -> None:
        """Survey answers: after the journey's last conversation, and now and then after a bad
        contact mid-journey. Only customers with consent answer, and only inside the window."""
        rng, sc, convs = s.rng, self.scenario, s.convs
        if not convs:
            return
        for i, conv in enumerate(convs[:-1]):
            bad_contact = conv.outcome in ("abandoned", "escalated") and conv.consent == "granted"
            if bad_contact and rng.random() < sc.csat.mid_journey_rate:
                self._answer(s, convs[: i + 1], conv.end_ns + jitter_us(rng, 600, 20 * 3600), final=False)
        if convs[-1].consent == "granted" and rng.random() < sc.csat.response_rate:
            self._answer(s, convs, convs[-1].end_ns + jitter_us(rng, 600, 36 * 3600), final=True)

    def _answer(self, s: _State, so_far: list[PlannedConversation], recorded_ns: int, final: bool) -> None:
        sc, rng = self.scenario, s.rng
        frictions = {name for c in so_far for name in c.frictions}
        mean = sc.csat.base + (sc.csat.premium_shift if s.plan.segment == "premium" else 0.0)
        mean -= sum(f.csat_drop for f in sc.frictions if f.name in frictions)
        mean -= sc.csat.abandon_penalty * min(2, sum(c.outcome == "abandoned" for c in so_far))
        mean -= sc.csat.escalation_penalty * sum(c.outcome == "escalated" for c in so_far)
        mean -= sc.csat.reentry_penalty * sum(c.reentry for c in so_far)
        if final and s.plan.status == "finished":
            mean += sc.csat.finished_bonus
        elif final and s.plan.status == "dropped":
            mean -= sc.csat.dropout_penalty
        score = min(5, max(1, round(rng.gauss(mean, sc.csat.noise))))
        channel = rng.choice(("email", "sms"))
        if recorded_ns < self.window_end_ns:
            s.plan.csat.append(CsatAnswer(score, recorded_ns, channel))


def _weighted(rng: random.Random, items: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _agent_label(conv: PlannedConversation) -> str:
    return f"our virtual assistant {conv.agent_name}" if conv.agent_type == "ai" else conv.agent_name
