"""Fit the local engine's learned combinations and write their weights JSON.

    python -m evals.training [PATH ...]     # default: ../shared/data/{sgd_dev,stc3_dev}

- resolution: logistic regression of `resolved` (true/false; look-ups and ambiguous dialogues
  skipped) on the signals of `evals.local.signals`, over every set given;
- quality: ridge regression of customer satisfaction S (-2..2; only STC-3 has it) on the same
  signals plus the resolution score, so that rating = 3 + S on the 1-5 scale. The resolution
  score it is fitted on is out-of-fold (stacking), as it is out-of-sample at run time.

Only the development sets are used; the fit is deterministic (lbfgs, closed-form ridge, fixed
folds) and the weights are rounded, so re-running on the same sets rewrites identical files.
Needs scikit-learn (the `calibrate` extra); inference (`evals.local.model`) does not.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.analysis import analyse
from evals.devsets import Dialogue, default_paths, load_sets
from evals.local.model import WEIGHTS_DIR, LinearModel, Link
from evals.local.signals import MODEL_FEATURES, Signals, read

# Strong L2 penalty: a few hundred labelled dialogues for about thirty signals. Chosen by the
# same 5-fold cross-validation that `journeys calibrate` reports (0.003-0.1 differ by < 0.01).
RESOLUTION_C = 0.005
QUALITY_ALPHA = 10.0
FOLDS = 5
SEED = 0
_DIGITS = 6
_MIN_SCALE = 10.0**-_DIGITS  # a spread that rounds to 0 in the weights file
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

Fit = Callable[[np.ndarray, np.ndarray], LinearModel]


@dataclass(frozen=True)
class Example:
    """A dialogue the local engine can judge: its signal values, and the cap a hand-over or the
    customer giving up puts on its resolution score (None without one)."""

    dialogue: Dialogue
    values: tuple[float, ...]
    cap: float | None


def examples(dialogues: Sequence[Dialogue]) -> list[Example]:
    """The dialogues with a customer request and both sides speaking, and their signals."""
    found = []
    for dialogue in dialogues:
        a = analyse(dialogue.turns)
        if a.customer_turns and a.agent_turns and a.has_request:
            reading = read(a)
            cap = reading.outcome.definitional_cap
            found.append(Example(dialogue, reading.signals.values, cap.kind.cap if cap else None))
    return found


def resolution_label(dialogue: Dialogue) -> float | None:
    resolved = dialogue.labels.get("resolved")
    return None if resolved is None else float(bool(resolved))


def satisfaction_label(dialogue: Dialogue) -> float | None:
    value = dialogue.labels.get("customer_satisfaction")
    return None if value is None else float(value)


def _scaled(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < _MIN_SCALE] = 1.0  # a (nearly) constant signal carries no weight
    return (x - mean) / scale, mean, scale


def _rounded(values: np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(v), _DIGITS) for v in values)


def _model(
    name: str,
    penalty: str,
    link: Link,
    scaling: tuple[np.ndarray, np.ndarray],
    weights: tuple[np.ndarray, float],
    trained_on: dict[str, Any],
) -> LinearModel:
    """The fitted model, rounded as it is stored; its version names the fit."""
    (mean, scale), (coef, intercept) = scaling, weights
    return LinearModel(
        name=name,
        version=f"{name}-n{trained_on['n']}-{penalty}",
        link=link,
        features=MODEL_FEATURES[name],
        mean=_rounded(mean),
        scale=_rounded(scale),
        coef=_rounded(coef),
        intercept=round(intercept, _DIGITS),
        trained_on=trained_on,
    )


def fit_resolution(x: np.ndarray, y: np.ndarray) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    z, mean, scale = _scaled(x)
    fit = LogisticRegression(C=RESOLUTION_C, max_iter=5000).fit(z, y)
    # The strong penalty chooses the direction but shrinks the scores towards 0.5; one
    # unpenalised logistic step on the linear score (Platt scaling) restores probabilities that
    # mean what they say at the 0.5 pass mark, without changing the ranking.
    linear = z @ fit.coef_[0] + fit.intercept_[0]
    platt = LogisticRegression(C=1e6, max_iter=5000).fit(linear[:, None], y)
    slope, offset = float(platt.coef_[0][0]), float(platt.intercept_[0])
    trained_on = {"n": len(y), "resolved": int(y.sum()), "penalty_c": RESOLUTION_C}
    weights = (fit.coef_[0] * slope, float(fit.intercept_[0]) * slope + offset)
    return _model("resolution", f"c{RESOLUTION_C}", "logistic", (mean, scale), weights, trained_on)


def fit_quality(x: np.ndarray, y: np.ndarray) -> LinearModel:
    from sklearn.linear_model import Ridge

    z, mean, scale = _scaled(x)
    fit = Ridge(alpha=QUALITY_ALPHA).fit(z, y)
    # Shrinkage narrows the predictions towards the mean; stretch them back to the ratings'
    # spread, so that the 1-5 rating uses the scale as people do (ranks are unchanged).
    fitted = z @ fit.coef_
    spread = float(np.std(y) / np.std(fitted)) if np.std(fitted) > 0 else 1.0
    trained_on = {"n": len(y), "target": "customer_satisfaction", "penalty_alpha": QUALITY_ALPHA}
    weights = (fit.coef_ * spread, float(fit.intercept_))
    return _model("quality", f"a{QUALITY_ALPHA}", "identity", (mean, scale), weights, trained_on)


def labelled(
    found: Sequence[Example], label: Callable[[Dialogue], float | None]
) -> tuple[list[Example], np.ndarray]:
    """The examples that have the label, and the labels."""
    kept = [(e, y) for e in found if (y := label(e.dialogue)) is not None]
    return [e for e, _ in kept], np.array([y for _, y in kept])


def _capped(score: float, cap: float | None) -> float:
    return score if cap is None else min(score, cap)


def fold_models(
    fit: Fit, x: np.ndarray, y: np.ndarray, strata: Sequence[str]
) -> tuple[list[LinearModel], np.ndarray]:
    """One model per fold, fitted on the other folds (stratified by `strata`), and each
    example's fold."""
    from sklearn.model_selection import StratifiedKFold

    fold_of = np.zeros(len(y), dtype=int)
    models = []
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for k, (train, test) in enumerate(folds.split(x, list(strata))):
        models.append(fit(x[train], y[train]))
        fold_of[test] = k
    return models, fold_of


def predict_out_of_fold(models: Sequence[LinearModel], fold_of: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each row's prediction by the model of its fold (which was fitted without it)."""
    return np.array([models[k].predict(tuple(row)) for k, row in zip(fold_of, x, strict=True)])


def resolution_scores(found: Sequence[Example]) -> np.ndarray:
    """Every example's resolution score by models that never saw its label: out-of-fold for the
    labelled ones, the mean of the fold models for the rest; capped as at run time."""
    chosen, y = labelled(found, resolution_label)
    x = resolution_inputs(chosen)
    strata = [f"{e.dialogue.source}:{v}" for e, v in zip(chosen, y, strict=True)]
    models, fold_of = fold_models(fit_resolution, x, y, strata)
    fold = {id(e): k for e, k in zip(chosen, fold_of, strict=True)}
    scores = []
    for e, values in zip(found, resolution_inputs(found), strict=True):
        k = fold.get(id(e))
        row = tuple(values)
        raw = models[k].predict(row) if k is not None else float(np.mean([m.predict(row) for m in models]))
        scores.append(_capped(raw, e.cap))
    return np.array(scores)


def resolution_inputs(found: Sequence[Example]) -> np.ndarray:
    """The resolution model's inputs, in its feature order."""
    names = MODEL_FEATURES["resolution"]
    return np.array([Signals(e.values, {}).select(names) for e in found])


def quality_inputs(found: Sequence[Example], resolved: np.ndarray) -> np.ndarray:
    """The quality model's inputs: its signals and the resolution score, in its feature order."""
    names = MODEL_FEATURES["quality"]
    return np.array([Signals(e.values, {}).select(names, p) for e, p in zip(found, resolved, strict=True)])


def train(dialogues: Sequence[Dialogue]) -> dict[str, LinearModel]:
    found = examples(dialogues)
    chosen, y = labelled(found, resolution_label)
    models = {"resolution": fit_resolution(resolution_inputs(chosen), y)}
    resolved = resolution_scores(found)
    with_s = [i for i, e in enumerate(found) if satisfaction_label(e.dialogue) is not None]
    if with_s:
        x = quality_inputs([found[i] for i in with_s], resolved[with_s])
        s = np.array([satisfaction_label(found[i].dialogue) for i in with_s])
        models["quality"] = fit_quality(x, s)
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
