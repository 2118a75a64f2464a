"""One journey simulated from its head (plan, render, OTLP/JSON encoding, ground truth), and many
of them in worker processes, handed back in index order.

Only who a journey's customer is depends on the journeys before it (`JourneyPlanner.head`, drawn
in this process in index order); the rest of a journey depends on its head alone, its rendering
and ids come from RNGs seeded by the journey's index, so a worker process gives the same output
as this one. Journeys go to the workers in chunks, a few chunks ahead of what has been consumed,
so a run that stops at a span count wastes little and memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import date
from itertools import islice

from orchestration.journey_map import JourneyMap
from orchestration.simulate.journeys import JourneyHead, JourneyPlanner, PlannedJourney
from orchestration.simulate.otlp import EncodedSpan, IdSource, encode_spans
from orchestration.simulate.render import ConversationRenderer, csat_span
from orchestration.simulate.scenario import Scenario
from orchestration.simulate.timing import day_of, from_ns
from orchestration.simulate.truth import (
    ConversationFacts,
    ConversationTruth,
    CsatTruth,
    JourneyTruth,
    channel_sequence,
    iso_week,
)

# Journeys per task: about a thousand spans, so pickling costs little next to the work.
CHUNK_JOURNEYS = 64


@dataclass
class JourneyOutput:
    index: int
    conversations: list[ConversationTruth]
    csat: list[CsatTruth]
    journey: JourneyTruth | None  # None when no conversation fell inside the window
    spans: list[tuple[date, list[EncodedSpan]]]  # (day, encoded spans) in the order they were made
    trace_ids: set[str] = field(default_factory=set)

    @property
    def span_count(self) -> int:
        return sum(len(spans) for _, spans in self.spans)


@dataclass(frozen=True)
class JourneySimulation:
    """What every journey of a run shares; picklable, so worker processes can rebuild it."""

    journey_map: JourneyMap
    scenario: Scenario
    seed: int
    start: date
    days: int

    def planner(self) -> JourneyPlanner:
        return JourneyPlanner(self.journey_map, self.scenario, self.seed, self.start, self.days)


class _JourneyRunner:
    def __init__(self, simulation: JourneySimulation):
        self.planner = simulation.planner()
        self.seed = simulation.seed
        self.consent_stated_once = simulation.scenario.consent_stated_once

    def __call__(self, head: JourneyHead) -> JourneyOutput:
        plan = self.planner.unfold(head)
        index, seed = head.index, self.seed
        rng, ids = random.Random(f"{seed}/render/{index}"), IdSource(random.Random(f"{seed}/ids/{index}"))
        out = JourneyOutput(index, [], [], None, [])
        out.conversations = _render_conversations(plan, rng, ids, out.spans, out.trace_ids, self.consent_stated_once)
        for answer in plan.csat:
            span = csat_span(plan, answer, rng, ids)
            out.spans.append((day_of(span.start_ns), encode_spans([span])))
            out.trace_ids.add(span.trace_id)
            out.csat.append(CsatTruth(f"{span.trace_id}:{span.span_id}", plan.journey_id, plan.customer_id,
                                      plan.journey_name, answer.score, from_ns(span.start_ns)))
        if out.conversations:
            out.journey = _journey_truth(plan, out.conversations, out.csat)
        return out


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def simulate_journeys(simulation: JourneySimulation, heads: Iterator[JourneyHead], workers: int) -> Iterator[JourneyOutput]:
    """The outputs of `heads`, in their order; with `workers` > 1 computed in that many processes.
    Close the iterator (or exhaust it) to stop the workers."""
    if workers <= 1:
        yield from map(_JourneyRunner(simulation), heads)
        return
    chunks = iter(lambda: list(islice(heads, CHUNK_JOURNEYS)), [])
    # Forkserver, not fork: the caller may have threads (a Dagster run, a receiver, a progress bar)
    # whose locks a forked child would inherit held; the server forks from a clean process that
    # has imported this module once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(simulation,))
    try:
        pending: deque[Future[list[JourneyOutput]]] = deque(
            pool.submit(_run_chunk, chunk) for chunk in islice(chunks, 2 * workers)
        )
        while pending:
            done = pending.popleft()
            if chunk := next(chunks, None):
                pending.append(pool.submit(_run_chunk, chunk))
            yield from done.result()
    finally:
        pool.shutdown(cancel_futures=True)


_runner: _JourneyRunner | None = None  # the worker process's own


def _start_worker(simulation: JourneySimulation) -> None:
    global _runner
    _runner = _JourneyRunner(simulation)


def _run_chunk(heads: list[JourneyHead]) -> list[JourneyOutput]:
    assert _runner is not None, "the pool's initializer sets the runner"
    return [_runner(head) for head in heads]


def _render_conversations(
    plan: PlannedJourney,
    rng: random.Random,
    ids: IdSource,
    spans: list[tuple[date, list[EncodedSpan]]],
    trace_ids: set[str],
    consent_stated_once: bool,
) -> list[ConversationTruth]:
    truths: list[ConversationTruth] = []
    stated = None
    for conv in plan.conversations:
        state_consent = not consent_stated_once or conv.consent != stated
        stated = conv.consent
        rendered = ConversationRenderer(conv, rng, ids, state_consent).render()
        started = min(s.start_ns for s in rendered.spans)
        spans.append((day_of(started), encode_spans(rendered.spans)))
        trace_ids.update(s.trace_id for s in rendered.spans)
        inst = rendered.instrumentation
        facts = {f.name: getattr(conv, f.name) for f in fields(ConversationFacts)}
        truths.append(
            ConversationTruth(
                **facts,
                conversation_id=rendered.conversation_id,
                trace_ids=rendered.trace_ids,
                started_at=from_ns(started),
                ended_at=from_ns(max(s.end_ns for s in rendered.spans)),
                turn_count=len(conv.dialogue.turns),
                span_count=len(rendered.spans),
                handoff_from=truths[conv.handoff_from].conversation_id if conv.handoff_from is not None else None,
                convention=inst.convention,
                key_attribute=inst.key_attribute or "trace_id",
                attribute_placement=inst.placement,
                per_turn_traces=inst.per_turn,
            )
        )
    return truths


def _journey_truth(plan: PlannedJourney, convs: list[ConversationTruth], answers: list[CsatTruth]) -> JourneyTruth:
    ordered = sorted(convs, key=lambda c: c.started_at)
    last_stage = max(ordered, key=lambda c: c.stage_order)
    latest = max(answers, key=lambda a: a.recorded_at) if answers else None
    return JourneyTruth(
        journey_id=plan.journey_id,
        customer_id=plan.customer_id,
        journey_name=plan.journey_name,
        segment=plan.segment,
        consent=plan.consent,
        cohort_week=iso_week(ordered[0].started_at),
        started_at=ordered[0].started_at,
        status=plan.status,
        last_stage_reached=last_stage.stage,
        completed_all_stages=any(c.stage == plan.final_stage and c.outcome == "completed" for c in ordered),
        stages_visited=len({c.stage for c in ordered}),
        channel_sequence=channel_sequence([c.channel for c in ordered]),
        csat=latest.score if latest else None,
        frictions=tuple(sorted({f for c in ordered for f in c.frictions})),
    )
