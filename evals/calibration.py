"""Accuracy of the local evaluators on the annotated SGD development set.

    python -m evals.calibration ../shared/data/sgd_dev/dialogues.jsonl
    journeys calibrate ../shared/data/sgd_dev/dialogues.jsonl

Reports, per part of the set, the "natural comparisons" of the set's README (section 5):

- resolution: AUROC of the resolution score, `resolved` true against false (look-ups skipped);
- re-asks within a conversation: AUROC of the re-ask signal (1 - retention score) and
  precision/recall of `passed == False` at the operating threshold, `reask_count_strong > 0`
  against `reask_count == 0`;
- re-asks across stages: the same with stage 1 as `input` and stage 2 as the conversation,
  `cross_stage_reask_count > 0 and reask_count_strong > 0` against split dialogues without any
  re-ask.

Parts: the thresholds and weights were chosen looking at the SGD `dev` split only. The set's
re-ask dialogues are almost all from SGD `train`, so while building the fact parser a few of
them were read to fix parsing bugs; those are listed in `INSPECTED` and counted with the
calibration part. Everything else is held out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.metrics import Detection, auroc, auroc_standard_error, detection
from evals.scorer import DEFAULT_THRESHOLD, Scorer

RESOLUTION = "conversation_resolution"
RETENTION = "customer_agent_context_retention"
PARTS = ("calibration", "held-out", "all")

# Held-out records read while developing the fact parser (see the module docstring).
INSPECTED = frozenset(
    {
        "sgd/train/66_00046",
        "sgd/train/104_00088",
        "sgd/train/66_00004",
        "sgd/train/66_00005",
        "sgd/train/66_00014",
        "sgd/train/66_00028",
        "sgd/train/77_00093",
        "sgd/train/77_00115",
        "sgd/train/79_00002",
        "sgd/train/85_00075",
        "sgd/train/85_00079",
        "sgd/train/85_00081",
    }
)


class CalibrationDataError(ValueError):
    """The annotated file is not in the expected format; the message says where."""


def part_of(dialogue_id: str) -> str:
    return "calibration" if dialogue_id.startswith("sgd/dev/") or dialogue_id in INSPECTED else "held-out"


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["dialogue_id"], record["turns"], record["labels"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CalibrationDataError(
                    f"{path}:{line_number}: not an annotated dialogue ({exc})"
                ) from exc
            records.append(record)
    if not records:
        raise CalibrationDataError(f"{path}: no dialogues")
    return records


@dataclass
class Comparison:
    """Scores of labelled positives and negatives, and the detector's flags at the threshold."""

    positives: list[float] = field(default_factory=list)
    negatives: list[float] = field(default_factory=list)
    flags: list[bool] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)

    def add(self, score: float, flagged: bool, label: bool) -> None:
        (self.positives if label else self.negatives).append(score)
        self.flags.append(flagged)
        self.labels.append(label)

    @property
    def auroc(self) -> float | None:
        return auroc(self.positives, self.negatives)

    @property
    def detection(self) -> Detection:
        return detection(self.flags, self.labels)


@dataclass
class CalibrationReport:
    path: Path
    threshold: float
    # comparison name -> part -> Comparison
    comparisons: dict[str, dict[str, Comparison]]

    def auroc(self, comparison: str, part: str = "all") -> float | None:
        return self.comparisons[comparison][part].auroc


COMPARISONS = {
    "resolution": "resolution (resolved vs not)",
    "reask_within": "re-ask within a conversation",
    "reask_handoff": "re-ask across the stage hand-off",
}


def _reask_signal(score: float | None) -> float:
    # A retention verdict of not_applicable (nothing to retain) is "no re-ask".
    return 1.0 - (1.0 if score is None else score)


def run_calibration(path: Path, threshold: float = DEFAULT_THRESHOLD) -> CalibrationReport:
    """Score every dialogue with the local engine and collect the README's comparisons."""
    comparisons = {name: {part: Comparison() for part in PARTS} for name in COMPARISONS}
    scorer = Scorer("local", thresholds=threshold)

    def add(name: str, dialogue_id: str, score: float, flagged: bool, label: bool) -> None:
        for part in (part_of(dialogue_id), "all"):
            comparisons[name][part].add(score, flagged, label)

    for record in load_dialogues(path):
        labels, turns, dialogue_id = record["labels"], record["turns"], record["dialogue_id"]
        results = scorer.score((RESOLUTION, RETENTION), turns)
        if labels.get("resolved") is not None:
            resolution = results[RESOLUTION]
            add(
                "resolution",
                dialogue_id,
                resolution.score or 0.0,
                resolution.passed is True,
                bool(labels["resolved"]),
            )
        strong, any_reask = labels.get("reask_count_strong", 0) > 0, labels.get("reask_count", 0) > 0
        retention = results[RETENTION]
        if strong or not any_reask:
            add(
                "reask_within", dialogue_id, _reask_signal(retention.score), retention.passed is False, strong
            )
        stages = record.get("stages")
        if stages:
            split = stages["split_turn_index"]
            handoff_positive = labels.get("cross_stage_reask_count", 0) > 0 and strong
            if handoff_positive or not any_reask:
                handoff = scorer.score(RETENTION, turns[split:], [turns[:split]])[RETENTION]
                add(
                    "reask_handoff",
                    dialogue_id,
                    _reask_signal(handoff.score),
                    handoff.passed is False,
                    handoff_positive,
                )
    return CalibrationReport(path, threshold, comparisons)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_report(report: CalibrationReport) -> str:
    lines = [
        f"Local engine accuracy on {report.path}",
        f"operating threshold: passed = score >= {report.threshold}",
        (
            "parts: calibration = SGD dev split (+ the inspected train records listed in evals/calibration.py); "
            "held-out = everything else"
        ),
        "",
        f"{'comparison':36} {'part':12} {'n+':>4} {'n-':>4} {'AUROC':>7} {'±SE':>6} {'precision':>9} {'recall':>7}",
    ]
    for name, title in COMPARISONS.items():
        for part in PARTS:
            c = report.comparisons[name][part]
            area = c.auroc
            se = auroc_standard_error(area, len(c.positives), len(c.negatives)) if area is not None else None
            d = c.detection
            lines.append(
                f"{title:36} {part:12} {len(c.positives):>4} {len(c.negatives):>4} {_fmt(area):>7} "
                f"{_fmt(se, 3):>6} {_fmt(d.precision, 2):>9} {_fmt(d.recall, 2):>7}"
            )
    lines += [
        "",
        "resolution: positive = resolved; precision/recall are of passed (score >= threshold).",
        "re-asks: positive = labelled re-ask; precision/recall are of passed == False (a re-ask flagged).",
    ]
    return "\n".join(lines)


SKIP_MESSAGE = (
    "skipped: {path} not found. The annotated SGD development set ships in the project "
    "workspace at ../shared/data/sgd_dev/dialogues.jsonl, not in a clone of the repository."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m evals.calibration PATH/TO/dialogues.jsonl")
        return 0 if args and args[0] in ("-h", "--help") else 2
    path = Path(args[0])
    if not path.exists():
        print(SKIP_MESSAGE.format(path=path))
        return 0
    try:
        print(format_report(run_calibration(path)))
    except CalibrationDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
