"""Fit the local engine's learned combinations and write their weights JSON.

    python -m evals.training [PATH ...]     # default: ../shared/data/{sgd_dev,stc3_dev}

- resolution: logistic regression of `resolved` (true/false; look-ups and ambiguous dialogues
  skipped) on the signals of `evals.local.signals`, over every set given;
- quality: ridge regression of customer satisfaction S (-2..2; only STC-3 has it), so that
  rating = 3 + S on the 1-5 scale.

Only the development sets are used, the fit is deterministic (lbfgs, closed-form ridge) and the
weights are rounded, so re-running on the same sets rewrites identical files. Needs
scikit-learn (the `calibrate` extra); inference (`evals.local.model`) does not.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.analysis import analyse
from evals.devsets import Dialogue, default_paths, load_sets
from evals.local.model import WEIGHTS_DIR, LinearModel
from evals.local.outcome import read_outcome
from evals.local.signals import NAMES, read_signals

# Strong L2 penalty: a few hundred labelled dialogues for two dozen signals; weaker penalties
# gained nothing out of fold and made the weights less stable between folds.
RESOLUTION_C = 0.1
QUALITY_ALPHA = 10.0
FOLDS = 5
SEED = 0
_DIGITS = 6
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

Fit = Callable[[np.ndarray, np.ndarray], LinearModel]


@dataclass(frozen=True)
class Example:
    """A dialogue the local engine can judge, with its signal values."""

    dialogue: Dialogue
    values: tuple[float, ...]


def examples(dialogues: Sequence[Dialogue]) -> list[Example]:
    """The dialogues with a customer request and both sides speaking, and their signals."""
    found = []
    for dialogue in dialogues:
        a = analyse(dialogue.turns)
        if a.customer_turns and a.agent_turns and a.has_request:
            found.append(Example(dialogue, read_signals(a, read_outcome(a)).values))
    return found


def resolution_label(dialogue: Dialogue) -> float | None:
    resolved = dialogue.labels.get("resolved")
    return None if resolved is None else float(bool(resolved))


def satisfaction_label(dialogue: Dialogue) -> float | None:
    value = dialogue.labels.get("customer_satisfaction")
    return None if value is None else float(value)


def _linear_model(name: str, link: str, mean, scale, coef, intercept, trained_on) -> LinearModel:
    def r(values) -> tuple[float, ...]:
        return tuple(round(float(v), _DIGITS) for v in values)

    return LinearModel(name, f"{name}-{trained_on['n']}-c{trained_on['penalty']}", link,  # type: ignore[arg-type]
                       NAMES, r(mean), r(scale), r(coef), round(float(intercept), _DIGITS), trained_on)


def _scaled(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant signal carries no weight
    return (x - mean) / scale, mean, scale


def fit_resolution(x: np.ndarray, y: np.ndarray) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    z, mean, scale = _scaled(x)
    fit = LogisticRegression(C=RESOLUTION_C, max_iter=5000).fit(z, y)
    trained_on = {"n": int(len(y)), "positives": int(y.sum()), "penalty": RESOLUTION_C}
    return _linear_model("resolution", "logistic", mean, scale, fit.coef_[0], fit.intercept_[0], trained_on)


def fit_quality(x: np.ndarray, y: np.ndarray) -> LinearModel:
    from sklearn.linear_model import Ridge

    z, mean, scale = _scaled(x)
    fit = Ridge(alpha=QUALITY_ALPHA).fit(z, y)
    trained_on = {"n": int(len(y)), "target": "customer_satisfaction", "penalty": QUALITY_ALPHA}
    return _linear_model("quality", "identity", mean, scale, fit.coef_, fit.intercept_, trained_on)


def labelled(found: Sequence[Example], label: Callable[[Dialogue], float | None]) -> tuple[list[Example], np.ndarray, np.ndarray]:
    kept = [(e, y) for e in found if (y := label(e.dialogue)) is not None]
    return [e for e, _ in kept], np.array([e.values for e, _ in kept]), np.array([y for _, y in kept])


def out_of_fold(fit: Fit, x: np.ndarray, y: np.ndarray, strata: Sequence[str]) -> np.ndarray:
    """Each example's prediction by a model fitted on the other folds (stratified by `strata`)."""
    from sklearn.model_selection import StratifiedKFold

    predictions = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in folds.split(x, list(strata)):
        model = fit(x[train], y[train])
        predictions[test] = [model.predict(tuple(row)) for row in x[test]]
    return predictions


def train(dialogues: Sequence[Dialogue]) -> dict[str, LinearModel]:
    found = examples(dialogues)
    _, x, y = labelled(found, resolution_label)
    models = {"resolution": fit_resolution(x, y)}
    _, xq, yq = labelled(found, satisfaction_label)
    if len(yq):
        models["quality"] = fit_quality(xq, yq)
    return models


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    dialogues = load_sets([Path(p) for p in args] or default_paths(DATA_DIR))
    if not dialogues:
        print("nothing to train on")
        return 1
    print("training on", dict(Counter(d.source for d in dialogues)))
    for name, model in train(dialogues).items():
        path = WEIGHTS_DIR / f"{name}.json"
        path.write_text(model.to_json(), encoding="utf-8")
        print(f"wrote {path} ({model.version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
