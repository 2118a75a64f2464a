"""What the simulator actually wrote, so tests can check ingestion, marts and signals against it.

`conversation_id` is the key ingestion derives (`session.id`, else `gen_ai.conversation.id`,
else `conversation.id`, else `lk.room_name`, else the trace id); `started_at`/`ended_at` are the
earliest span start and latest span end of the conversation, as naive UTC datetimes. Journey
fields follow the mart definitions of `marts.journeys`: the cohort is the ISO week of the first
conversation, the channel sequence collapses consecutive repeats, and the journey's CSAT is the
latest answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter


@dataclass(frozen=True)
class ConversationFacts:
    """What the journey planner decided about a conversation (shared by plan and truth)."""

    journey_id: str
    customer_id: str
    journey_name: str
    stage: str
    stage_order: int
    channel: str
    agent_type: str
    segment: str
    consent: str
    outcome: str
    visit: int  # 1-based visit of the journey to this stage
    reentry: bool  # the first conversation of a visit after the first one
    reask_of_earlier_stage_facts: bool
    frictions: tuple[str, ...]


@dataclass(frozen=True)
class ConversationTruth(ConversationFacts):
    conversation_id: str
    trace_ids: tuple[str, ...]
    started_at: datetime
    ended_at: datetime
    turn_count: int
    span_count: int
    handoff_from: str | None  # conversation this one continues (escalation or transfer)
    convention: str  # traceai | openinference | genai | livekit | human
    key_attribute: str  # the attribute holding conversation_id, or "trace_id"
    attribute_placement: str  # root | every | resource
    per_turn_traces: bool

    @property
    def partition_date(self) -> date:
        return self.started_at.date()


@dataclass(frozen=True)
class CsatTruth:
    event_id: str  # trace_id:span_id, as raw.journey_events keys it
    journey_id: str
    customer_id: str
    journey_name: str
    score: int
    recorded_at: datetime  # the span's start


@dataclass(frozen=True)
class JourneyTruth:
    journey_id: str
    customer_id: str
    journey_name: str
    segment: str
    consent: str
    cohort_week: str
    started_at: datetime
    status: str  # finished | dropped | in_progress (the window ended first)
    last_stage_reached: str
    completed_all_stages: bool
    stages_visited: int
    channel_sequence: str
    csat: int | None
    frictions: tuple[str, ...]


@dataclass(frozen=True)
class GroundTruth:
    seed: int
    start: date
    days: int
    journeys_requested: int
    scenario: str
    frictions: tuple[dict[str, Any], ...]
    files: tuple[str, ...]
    trace_count: int
    span_count: int
    conversations: tuple[ConversationTruth, ...]
    journeys: tuple[JourneyTruth, ...]
    csat: tuple[CsatTruth, ...] = field(default=())

    def to_json(self) -> str:
        return _ADAPTER.dump_json(self, indent=1).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> GroundTruth:
        return _ADAPTER.validate_json(text)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The bytes straight from the serializer: a 1M-span day's truth is about 100 MB of JSON.
        path.write_bytes(_ADAPTER.dump_json(self, indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> GroundTruth:
        return cls.from_json(path.read_bytes())

    def stage_funnel(self) -> dict[tuple[str, str, str], dict[str, int]]:
        """Expected `marts.stage_funnel` counts per (journey_name, stage, cohort_week):
        entered, completed (by outcome or by reaching a later stage), reentered, conversations."""
        cohorts = {j.journey_id: j.cohort_week for j in self.journeys}
        by_journey: dict[str, list[ConversationTruth]] = defaultdict(list)
        for c in self.conversations:
            by_journey[c.journey_id].append(c)
        funnel: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
            lambda: {"entered": 0, "completed": 0, "reentered": 0, "conversations": 0}
        )
        for journey_id, convs in by_journey.items():
            cohort = cohorts[journey_id]
            furthest = max(c.stage_order for c in convs)
            for stage in {c.stage for c in convs}:
                at_stage = [c for c in convs if c.stage == stage]
                row = funnel[(at_stage[0].journey_name, stage, cohort)]
                row["entered"] += 1
                row["completed"] += any(c.outcome == "completed" for c in at_stage) or furthest > at_stage[0].stage_order
                row["reentered"] += any(c.reentry for c in at_stage)
                row["conversations"] += len(at_stage)
        return dict(funnel)


_ADAPTER = TypeAdapter(GroundTruth)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def channel_sequence(channels_in_time_order: list[str]) -> str:
    collapsed = [c for i, c in enumerate(channels_in_time_order) if i == 0 or c != channels_in_time_order[i - 1]]
    return " > ".join(collapsed)
