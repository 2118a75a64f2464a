"""`simulate(...)`: a window of contact-center traffic as OTLP/JSON trace files, plus ground truth.

Every random choice comes from RNGs seeded by the simulation seed and a stable label (the
journey's index, its role), never from the clock: the same arguments give byte-identical files.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import date
from itertools import count
from pathlib import Path

from tqdm import tqdm

from orchestration.journey_map import JourneyMap, load_journey_map
from orchestration.settings import Settings
from orchestration.simulate.scenario import DEMO_SCENARIO, Scenario
from orchestration.simulate.spool import DaySpool
from orchestration.simulate.truth import ConversationTruth, CsatTruth, GroundTruth, JourneyTruth
from orchestration.simulate.workers import JourneySimulation, default_workers, simulate_journeys
from orchestration.simulate.writer import EXTENSIONS, TraceFile, write_trace_files


def _extension(path: Path) -> str:
    return next(e for e in sorted(EXTENSIONS, key=len, reverse=True) if path.name.endswith(e))


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    files: tuple[TraceFile, ...]
    truth: GroundTruth
    truth_path: Path | None

    @property
    def trace_count(self) -> int:
        return self.truth.trace_count

    @property
    def span_count(self) -> int:
        return self.truth.span_count

    def summary(self) -> str:
        """What a user reads after `journeys simulate`."""
        t = self.truth
        size_mb = sum(f.path.stat().st_size for f in self.files) / 1e6
        convs = t.conversations

        def counts(values: list[str]) -> str:
            return ", ".join(f"{k} {v:,}" for k, v in Counter(values).most_common())

        lines = [
            (f"Wrote {len(self.files)} trace files ({counts([_extension(f.path) for f in self.files])}; "
             f"{size_mb:.1f} MB) to {self.out_dir}"),
            f"  traces         {t.trace_count:>9,}",
            f"  spans          {t.span_count:>9,}",
            (f"  conversations  {len(convs):>9,}   by channel: {counts([c.channel for c in convs])}; "
             f"by agent: {counts([c.agent_type for c in convs])}"),
            f"                              by outcome: {counts([c.outcome for c in convs])}",
            (f"  journeys       {len(t.journeys):>9,}   {counts([j.journey_name for j in t.journeys])}; "
             f"{counts([j.status for j in t.journeys])}"),
            f"  CSAT answers   {len(t.csat):>9,}   from {sum(j.csat is not None for j in t.journeys):,} journeys",
            f"  re-entries     {sum(c.reentry for c in convs):>9,}   hand-offs: {sum(c.handoff_from is not None for c in convs):,}",
        ]
        for friction in t.frictions:
            hit = sum(friction["name"] in c.frictions for c in convs)
            lines.append(f"  friction       {hit:>9,}   conversations hit by {friction['name']}")
        lines.append(f"Ground truth: {self.truth_path}" if self.truth_path else "Ground truth: not written (use --truth PATH)")
        return "\n".join(lines)


def simulate(
    out_dir: Path,
    *,
    journeys: int | None = 600,
    spans_per_day: int | None = None,
    start: date,
    days: int = 30,
    seed: int = 7,
    progress: bool = False,
    scenario: Scenario = DEMO_SCENARIO,
    journey_map: JourneyMap | None = None,
    truth_path: Path | None = None,
    workers: int | None = None,
) -> SimulationResult:
    """Simulate `journeys` customer journeys starting in the `days` from `start` (UTC) and write
    them to `out_dir` as OTLP/JSON trace files; optionally write the ground truth to `truth_path`.
    With `spans_per_day` instead of `journeys`, journeys are simulated in index order until the
    window holds `spans_per_day * days` spans (the journey that reaches it is the last one).

    Journeys are rendered and encoded in `workers` processes (default: one per available core;
    1 keeps everything in this process); the output does not depend on it.

    The journey map defaults to the configured one (`JOURNEYS_JOURNEY_MAP`). Raises ValueError for
    bad arguments or a scenario that contradicts the map, and FileExistsError when `out_dir` holds
    files of a different simulation.
    """
    out_dir, truth_path = Path(out_dir), Path(truth_path) if truth_path else None
    if (journeys is None) == (spans_per_day is None):
        raise ValueError("give either journeys or spans_per_day, not both")
    volume = journeys if journeys is not None else spans_per_day
    if volume is None or volume < 1 or days < 1:
        raise ValueError(
            f"journeys (or spans_per_day) and days must be at least 1 (got journeys={journeys}, "
            f"spans_per_day={spans_per_day}, days={days})"
        )
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    span_target = spans_per_day * days if spans_per_day is not None else None
    if truth_path and truth_path.resolve().is_relative_to(out_dir.resolve()):
        raise ValueError(f"the truth file {truth_path} must not be inside the landing directory {out_dir}")
    journey_map = journey_map or load_journey_map(Settings.from_env().journey_map)
    scenario.validate(journey_map)

    simulation = JourneySimulation(journey_map, scenario, seed, start, days)
    planner = simulation.planner()
    conversations: list[ConversationTruth] = []
    journey_truths: list[JourneyTruth] = []
    csat: list[CsatTruth] = []
    trace_ids: set[str] = set()
    spans_so_far = 0
    indices: Iterable[int] = range(journeys) if journeys is not None else count()
    bar = tqdm(total=journeys or span_target, desc="Simulating", unit="journey" if journeys else "span",
               disable=not progress)
    outputs = simulate_journeys(simulation, map(planner.head, indices), workers if workers is not None else default_workers())
    with DaySpool() as spool, closing(outputs):
        for out in outputs:
            for day, spans in out.spans:
                spool.add(day, spans)
            trace_ids |= out.trace_ids
            conversations += out.conversations
            csat += out.csat
            if out.journey is not None:
                journey_truths.append(out.journey)
            spans_so_far += out.span_count
            bar.update(1 if journeys is not None else out.span_count)
            if span_target is not None and spans_so_far >= span_target:
                break
        outputs.close()  # stop the workers before writing
        bar.close()
        files = write_trace_files(out_dir, spool, random.Random(f"{seed}/files"))

    truth = GroundTruth(
        seed=seed,
        start=start,
        days=days,
        journeys_requested=out.index + 1,
        scenario=scenario.name,
        frictions=tuple({**asdict(f), "kind": str(f.kind)} for f in scenario.frictions),
        files=tuple(f.path.name for f in files),
        trace_count=len(trace_ids),
        span_count=spans_so_far,
        conversations=tuple(conversations),
        journeys=tuple(journey_truths),
        csat=tuple(csat),
    )
    if truth_path:
        truth.write(truth_path)
    return SimulationResult(out_dir, tuple(files), truth, truth_path)
