"""The knobs of a simulation: how each stage behaves, and the friction planted on purpose.

A `Scenario` is plain data, so a test can plant a known drop (for example a channel that fails
at one stage) with `dataclasses.replace(DEMO_SCENARIO, frictions=(...))` and then check that the
marts and routing signals see it. Rates are probabilities in [0, 1]; effects are absolute.
"""

from __future__ import annotations

import copyreg
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from orchestration.journey_map import JourneyMap

OUTCOMES = ("completed", "abandoned", "escalated", "transferred")
SEGMENTS = ("new", "returning", "premium")
CONSENTS = ("granted", "denied", "withdrawn")


class FrictionKind(StrEnum):
    # The agent at `stage` does not see facts the customer gave at `reask_from_stage` and asks
    # for them again; the customer answers with visible frustration ("I already told you ...").
    REASK = "reask"
    # Conversations matching the friction resolve badly (failure notices, abandonment).
    POOR_RESOLUTION = "poor_resolution"


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


# A scenario goes to the simulator's worker processes by pickle, which has no rule for a
# read-only view: it travels as a view of a copy of the mapping.
copyreg.pickle(MappingProxyType, lambda view: (_frozen, (dict(view),)))


@dataclass(frozen=True)
class Friction:
    """A planted problem with a known effect size.

    Among conversations matching `journey`, `stage`, `channel` and `agent_type` (None matches
    any), a share `rate` is affected. An affected conversation completes with probability
    lowered by `completion_drop` (absolute; the mass moves to abandonment), and the journey's
    CSAT mean is lowered by `csat_drop` points.
    """

    name: str
    journey: str
    stage: str
    kind: FrictionKind
    rate: float
    completion_drop: float
    csat_drop: float
    channel: str | None = None
    agent_type: str | None = None
    reask_from_stage: str | None = None

    def matches(self, journey: str, stage: str, channel: str, agent_type: str) -> bool:
        return (
            self.journey == journey
            and self.stage == stage
            and self.channel in (None, channel)
            and self.agent_type in (None, agent_type)
        )


@dataclass(frozen=True)
class StageBehaviour:
    """Outcome probabilities of an AI-handled conversation at a stage, before modifiers.

    `abandoned` takes whatever `completion`, `escalation` and `transfer` leave. `channels` are
    preference weights, filtered by the channels the journey map allows. `skip` is the chance a
    journey needs no contact at this stage; `proceed` the chance it goes on to the next stage
    after completing this one (otherwise the customer drops off).
    """

    completion: float = 0.80
    escalation: float = 0.07
    transfer: float = 0.03
    channels: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"chat": 0.5, "voice": 0.2, "email": 0.15, "sms": 0.15})
    )
    skip: float = 0.0
    proceed: float = 0.93


@dataclass(frozen=True)
class CsatModel:
    """How survey answers come about. A survey follows a journey's last conversation (and now and
    then a bad contact mid-journey); only customers who granted consent answer. The score is a
    rounded normal draw around `base`, lowered by what went wrong, clipped to 1..5."""

    response_rate: float = 0.42
    mid_journey_rate: float = 0.08  # an extra answer after an abandoned or escalated contact
    base: float = 4.4
    noise: float = 0.6
    premium_shift: float = -0.1  # premium customers are harder to please
    abandon_penalty: float = 0.5  # per abandoned conversation, at most two
    escalation_penalty: float = 0.2
    reentry_penalty: float = 0.4
    dropout_penalty: float = 0.7
    finished_bonus: float = 0.2


@dataclass(frozen=True)
class Scenario:
    """Everything that shapes the simulated traffic besides its size, window and seed."""

    name: str
    journey_mix: Mapping[str, float]
    segment_mix: Mapping[str, Mapping[str, float]]
    stages: Mapping[str, StageBehaviour]  # keyed "journey/stage"; missing keys use the default
    frictions: tuple[Friction, ...] = ()
    default_stage: StageBehaviour = StageBehaviour()
    # Share of conversations handled by a human agent, per channel; premium customers get more.
    human_share: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"chat": 0.10, "voice": 0.35, "email": 0.30, "sms": 0.05})
    )
    premium_human_bonus: float = 0.15
    human_completion_bonus: float = 0.08
    premium_completion_bonus: float = 0.03
    # After an abandoned visit: come back days later (a re-entry), retry within hours (same
    # visit), or carry on to the next stage without finishing this one; otherwise drop off.
    abandon_return: float = 0.40
    abandon_retry: float = 0.12
    abandon_self_serve: float = 0.12
    # After completing a stage, go back once to an earlier stage (a re-entry by interleaving).
    backtrack: float = 0.04
    max_visits_per_stage: int = 3
    max_handoffs_per_visit: int = 2
    # Non-new customers of a journey who are customers of an earlier journey of another kind
    # (a billing dispute by someone who onboarded earlier in the window).
    returning_customer_share: float = 0.3
    consent_mix: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"granted": 0.86, "denied": 0.09, "withdrawn": 0.05})
    )
    csat: CsatModel = CsatModel()
    # State `customer.consent` only where it changes (the journey's first conversation, a
    # withdrawal), as real stages rarely repeat it; the platform then inherits it (docs/privacy.md).
    consent_stated_once: bool = False
    # Instrumentation mix: tool spans on AI turns that resolve something.
    tool_call_rate: float = 0.6

    def stage(self, journey: str, stage: str) -> StageBehaviour:
        return self.stages.get(f"{journey}/{stage}", self.default_stage)

    def validate(self, journey_map: JourneyMap) -> None:
        """Raise ValueError naming the first knob that contradicts the map or is out of range."""
        problems: list[str] = []
        for key in self.stages:
            journey, _, stage = key.partition("/")
            if not journey_map.is_valid_stage(journey, stage):
                problems.append(f"stage behaviour {key!r}: not a stage of the journey map")
        if not any(journey_map.journey(j) for j, w in self.journey_mix.items() if w > 0):
            problems.append("journey_mix names no journey of the journey map")
        for f in self.frictions:
            where = f"friction {f.name!r}"
            if not journey_map.is_valid_stage(f.journey, f.stage):
                problems.append(f"{where}: {f.journey}/{f.stage} is not in the journey map")
            if f.channel is not None and not journey_map.is_valid_channel(f.journey, f.channel):
                problems.append(f"{where}: channel {f.channel!r} is not allowed for {f.journey}")
            if f.agent_type not in (None, "ai", "human"):
                problems.append(f"{where}: agent_type must be 'ai', 'human' or None")
            if f.kind is FrictionKind.REASK:
                journey = journey_map.journey(f.journey)
                source = journey.stage(f.reask_from_stage or "") if journey else None
                target = journey.stage(f.stage) if journey else None
                if source is None or target is None or source.order >= target.order:
                    problems.append(f"{where}: reask_from_stage must be an earlier stage of {f.journey}")
            for name in ("rate", "completion_drop"):
                if not 0 <= getattr(f, name) <= 1:
                    problems.append(f"{where}: {name} must be in [0, 1]")
            if not 0 <= f.csat_drop <= 4:
                problems.append(f"{where}: csat_drop must be in [0, 4]")
        for key, b in self.stages.items():
            if min(b.completion, b.escalation, b.transfer) < 0 or b.completion + b.escalation + b.transfer > 1:
                problems.append(f"stage behaviour {key!r}: outcome probabilities must be >= 0 and sum to <= 1")
        if problems:
            raise ValueError(f"scenario {self.name!r}: " + "; ".join(problems))


def _channels(**weights: float) -> Mapping[str, float]:
    return _frozen(weights)


DEMO_SCENARIO = Scenario(
    name="demo",
    journey_mix=_frozen({"streaming_onboarding": 0.65, "billing_dispute": 0.35}),
    segment_mix=_frozen(
        {
            "streaming_onboarding": _frozen({"new": 0.62, "returning": 0.23, "premium": 0.15}),
            "billing_dispute": _frozen({"returning": 0.7, "premium": 0.3}),
        }
    ),
    stages=_frozen(
        {
            "streaming_onboarding/sign-up": StageBehaviour(
                0.84, 0.05, 0.02, _channels(chat=0.55, email=0.15, sms=0.1, voice=0.2), proceed=0.94
            ),
            "streaming_onboarding/payment": StageBehaviour(
                0.82, 0.06, 0.04, _channels(chat=0.4, voice=0.25, sms=0.25, email=0.1), proceed=0.95
            ),
            "streaming_onboarding/content-prefs": StageBehaviour(
                0.88, 0.03, 0.01, _channels(chat=0.6, email=0.2, sms=0.2), skip=0.08, proceed=0.95
            ),
            "streaming_onboarding/app-install": StageBehaviour(
                0.84, 0.06, 0.03, _channels(chat=0.5, voice=0.35, email=0.15), proceed=0.92
            ),
            "streaming_onboarding/first-watch": StageBehaviour(
                0.82, 0.05, 0.02, _channels(chat=0.5, voice=0.2, sms=0.3)
            ),
            "billing_dispute/dispute-intake": StageBehaviour(
                0.80, 0.08, 0.05, _channels(chat=0.45, email=0.35, voice=0.2), proceed=0.95
            ),
            "billing_dispute/identity-check": StageBehaviour(
                0.83, 0.06, 0.04, _channels(voice=0.5, chat=0.4, email=0.1), proceed=0.96
            ),
            "billing_dispute/investigation": StageBehaviour(
                0.70, 0.12, 0.06, _channels(email=0.4, voice=0.3, chat=0.3), proceed=0.95
            ),
            "billing_dispute/refund-decision": StageBehaviour(
                0.80, 0.07, 0.02, _channels(email=0.5, chat=0.3, voice=0.2)
            ),
        }
    ),
    frictions=(
        # The app-install agent is not handed the preferences given at content-prefs and asks again.
        Friction("app_install_reasks_preferences", "streaming_onboarding", "app-install", FrictionKind.REASK,
                 rate=0.55, completion_drop=0.30, csat_drop=1.2, agent_type="ai", reask_from_stage="content-prefs"),
        # Payment links sent by text expire before customers use them.
        Friction("payment_by_sms_fails", "streaming_onboarding", "payment", FrictionKind.POOR_RESOLUTION,
                 rate=1.0, completion_drop=0.45, csat_drop=0.6, channel="sms"),
    ),
)
