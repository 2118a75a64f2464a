"""Accuracy of the local evaluators on the annotated development sets, beside trivial baselines.

    journeys calibrate [PATH ...]          # default: ../shared/data/{sgd_dev,stc3_dev}
    python -m evals.calibration [PATH ...]

Per `source` (each set's README defines the labels):

- resolution: AUROC of the resolution score, resolved against not resolved (SGD: `resolved`
  true vs false; STC-3: task accomplishment A >= 0.5 vs A <= -0.5), and on STC-3 Spearman's rho
  against A;
- quality: Spearman's rho against customer satisfaction S, and against effectiveness E and A
  (sets with those ratings only);
- retention (sets with re-ask labels): AUROC of the re-ask signal (1 - retention score), within a
  conversation and across the stage hand-off, as the SGD README's natural comparisons.

Resolution and quality are learned combinations (`evals.training`), so their figures are 5-fold
out-of-fold: each dialogue is scored by weights fitted without it, on all the sets given.
Retention is not fitted and is scored by the engine as shipped. Every figure has a bootstrap
95 % interval (1,000 resamples, seed 0, percentile method) and is printed beside the baseline of
`evals.baselines`; a figure that does not beat its baseline says so.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals import baselines
from evals.devsets import CalibrationDataError, Dialogue, default_paths, load_sets
from evals.metrics import auroc_of, spearman
from evals.registry import RETENTION
from evals.scorer import Scorer
from evals.training import (
    DATA_DIR,
    FOLDS,
    Example,
    examples,
    fit_quality,
    fold_models,
    predict_out_of_fold,
    quality_inputs,
    resolution_label,
    resolution_scores,
    satisfaction_label,
)

RESAMPLES = 1000
SEED = 0
CONFIDENCE = 0.95

Statistic = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class Figure:
    """One measure on one set: the evaluator's figure and the baseline's, with intervals."""

    source: str
    measure: str
    n: int
    evaluator: Interval
    baseline: Interval

    @property
    def beats_baseline(self) -> bool:
        return self.evaluator.value > self.baseline.value


def bootstrap(statistic: Statistic, target: np.ndarray, *scores: np.ndarray) -> list[Interval]:
    """The statistic of each score array against `target`, with a percentile bootstrap interval
    over the same resamples of dialogues (so evaluator and baseline are compared on equal draws)."""
    rng = np.random.default_rng(SEED)
    draws = [rng.integers(0, len(target), len(target)) for _ in range(RESAMPLES)]
    intervals = []
    tail = (1 - CONFIDENCE) / 2 * 100
    for score in scores:
        values = [statistic(target[i], score[i]) for i in draws]
        values = [v for v in values if not np.isnan(v)]
        low, high = np.percentile(values, [tail, 100 - tail])
        intervals.append(Interval(statistic(target, score), float(low), float(high)))
    return intervals


def _figure(source: str, measure: str, statistic: Statistic, target, score, baseline) -> Figure:
    target, score, baseline = (np.asarray(v, dtype=float) for v in (target, score, baseline))
    evaluated, base = bootstrap(statistic, target, score, baseline)
    return Figure(source, measure, len(target), evaluated, base)


def _by_source(rows: Sequence[tuple[str, float, float, float]]) -> dict[str, tuple[list, list, list]]:
    grouped: dict[str, tuple[list, list, list]] = {}
    for source, target, score, base in rows:
        lists = grouped.setdefault(source, ([], [], []))
        for values, value in zip(lists, (target, score, base), strict=True):
            values.append(value)
    return grouped


def _per_source(
    found: Sequence[Example], target: Sequence[float | None], score: np.ndarray
) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """(target, score, baseline) per source, for the examples that have a target."""
    rows = [
        (e.dialogue.source, t, float(p), baselines.closing_score(e.dialogue.turns))
        for e, t, p in zip(found, target, score, strict=True)
        if t is not None
    ]
    return _by_source(rows)


def learned_figures(dialogues: Sequence[Dialogue]) -> list[Figure]:
    """Out-of-fold resolution and quality figures per source."""
    found = examples(dialogues)
    figures: list[Figure] = []
    if len({resolution_label(e.dialogue) for e in found} - {None}) < 2:
        return figures
    resolved = resolution_scores(found)
    for source, (t, p, b) in _per_source(
        found, [resolution_label(e.dialogue) for e in found], resolved
    ).items():
        figures.append(_figure(source, "resolution AUROC (resolved vs not)", auroc_of, t, p, b))
    accomplished = [e.dialogue.labels.get("task_accomplishment") for e in found]
    for source, (t, p, b) in _per_source(found, accomplished, resolved).items():
        figures.append(_figure(source, "resolution Spearman vs A", spearman, t, p, b))
    rated = [i for i, e in enumerate(found) if satisfaction_label(e.dialogue) is not None]
    if len(rated) < FOLDS * 2:
        return figures
    chosen = [found[i] for i in rated]
    x, s = quality_inputs(chosen, resolved[rated]), np.array([satisfaction_label(e.dialogue) for e in chosen])
    models, fold_of = fold_models(
        fit_quality, x, s, [f"{e.dialogue.source}:{v >= 0}" for e, v in zip(chosen, s)]
    )
    quality = predict_out_of_fold(models, fold_of, x)
    for label, short in (
        ("customer_satisfaction", "S"),
        ("effectiveness", "E"),
        ("task_accomplishment", "A"),
    ):
        target = [e.dialogue.labels.get(label) for e in chosen]
        for source, (t, p, b) in _per_source(chosen, target, quality).items():
            figures.append(_figure(source, f"quality Spearman vs {short}", spearman, t, p, b))
    return figures


def _reask(score: float | None) -> float:
    # A retention verdict of not_applicable (nothing to retain) is "no re-ask".
    return 1.0 - (1.0 if score is None else score)


def retention_figures(dialogues: Sequence[Dialogue]) -> list[Figure]:
    """Re-ask AUROC within a conversation and across the hand-off, per source with re-ask labels."""
    within: list[tuple[str, float, float, float]] = []
    handoff: list[tuple[str, float, float, float]] = []
    with Scorer("local") as scorer:
        for d in dialogues:
            labels = d.labels
            if "reask_count" not in labels:
                continue
            strong, any_reask = labels.get("reask_count_strong", 0) > 0, labels["reask_count"] > 0
            if strong or not any_reask:
                score = scorer.score(RETENTION, d.turns)[RETENTION].score
                within.append((d.source, float(strong), _reask(score), baselines.reask_score(d.turns)))
            if d.stages:
                split = d.stages["split_turn_index"]
                positive = labels.get("cross_stage_reask_count", 0) > 0 and strong
                if positive or not any_reask:
                    stage2 = d.turns[split:]
                    score = scorer.score(RETENTION, stage2, [d.turns[:split]])[RETENTION].score
                    handoff.append((d.source, float(positive), _reask(score), baselines.reask_score(stage2)))
    figures = []
    for measure, rows in (
        ("re-ask AUROC within a conversation", within),
        ("re-ask AUROC across the hand-off", handoff),
    ):
        for source, (t, p, b) in _by_source(rows).items():
            if 0 < sum(t) < len(t):
                figures.append(_figure(source, measure, auroc_of, t, p, b))
    return figures


def run_calibration(dialogues: Sequence[Dialogue]) -> list[Figure]:
    figures = learned_figures(dialogues) + retention_figures(dialogues)
    return sorted(figures, key=lambda f: f.source)


def format_report(figures: Sequence[Figure], counts: dict[str, int]) -> str:
    lines = [
        "Local engine accuracy per source; resolution and quality are 5-fold out-of-fold figures.",
        f"Intervals: bootstrap {CONFIDENCE:.0%}, {RESAMPLES:,} resamples, seed {SEED}, percentile method.",
        "Baseline: evals/baselines.py (regexes on the customer's last turn; re-asks: 'already'/'again').",
    ]
    header = f"  {'measure':46} {'n':>5}  {'local [95% CI]':26} {'baseline [95% CI]':26}"
    source = None
    for f in figures:
        if f.source != source:
            source = f.source
            lines += ["", f"source {source} ({counts.get(source, 0)} dialogues)", header]
        verdict = "" if f.beats_baseline else "  DOES NOT BEAT THE BASELINE"
        lines.append(f"  {f.measure:46} {f.n:>5}  {f.evaluator!s:26} {f.baseline!s:26}{verdict}")
    return "\n".join(lines)


def calibrate(paths: Sequence[Path], echo: Callable[[str], None] = print) -> int:
    """Read the sets (skipping missing ones with a message), print the report; the exit code."""
    if importlib.util.find_spec("sklearn") is None:
        echo(
            "error: calibration refits the weights per fold and needs scikit-learn: pip install 'journeys[dev]'"
        )
        return 1
    try:
        dialogues = load_sets(paths or default_paths(DATA_DIR), report=echo)
    except CalibrationDataError as exc:
        echo(f"error: {exc}")
        return 1
    if not dialogues:
        echo("nothing to calibrate on: no annotated set found")
        return 0
    counts: dict[str, int] = {}
    for d in dialogues:
        counts[d.source] = counts.get(d.source, 0) + 1
    echo(format_report(run_calibration(dialogues), counts))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m evals.calibration [PATH/TO/dialogues.jsonl ...]")
        return 0
    return calibrate([Path(a) for a in args])


if __name__ == "__main__":
    sys.exit(main())
