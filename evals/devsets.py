"""Reading the annotated development sets (../shared/data/<set>/dialogues.jsonl).

Each line is one dialogue with its `source` (`sgd`, `stc3`), turns and labels; the sets'
READMEs give the label definitions. Calibration and training both read the sets through here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The sets `journeys calibrate` and `python -m evals.training` read when given no path.
DEFAULT_SETS = ("sgd_dev", "stc3_dev")


class CalibrationDataError(ValueError):
    """The annotated file is not in the expected format; the message says where."""


@dataclass(frozen=True)
class Dialogue:
    source: str
    dialogue_id: str
    turns: list[dict[str, Any]]
    labels: dict[str, Any]
    stages: dict[str, Any] | None


def default_paths(data_dir: Path) -> list[Path]:
    return [data_dir / name / "dialogues.jsonl" for name in DEFAULT_SETS]


def load_dialogues(path: Path) -> list[Dialogue]:
    """The dialogues of one annotated file; `CalibrationDataError` names the bad line."""
    dialogues = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                dialogues.append(
                    Dialogue(
                        source=str(record.get("source") or path.parent.name),
                        dialogue_id=record["dialogue_id"],
                        turns=list(record["turns"]),
                        labels=dict(record["labels"]),
                        stages=record.get("stages"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CalibrationDataError(
                    f"{path}:{line_number}: not an annotated dialogue ({exc})"
                ) from exc
    if not dialogues:
        raise CalibrationDataError(f"{path}: no dialogues")
    return dialogues


def load_sets(paths: Sequence[Path], report: Any = print) -> list[Dialogue]:
    """The dialogues of every file that exists; each missing one is reported and skipped."""
    dialogues: list[Dialogue] = []
    for path in paths:
        if not path.exists():
            report(f"skipped: {path} not found (the annotated sets ship in ../shared/data, not in a clone)")
            continue
        dialogues.extend(load_dialogues(path))
    return dialogues
