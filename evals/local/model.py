"""Small linear models over `evals.local.signals`, shipped as versioned JSON weights.

The weights are fitted by `python -m evals.training` (scikit-learn, on the development sets
only) and stored in `evals/local/weights/<name>.json` with the feature names, the scaling and
the cross-validated figures they were shipped with. Inference is plain Python: twenty-odd
multiply-adds per conversation, no scikit-learn and no pickle at run time.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# The weights file format; bump when its fields change, so an old file is refused, not misread.
FORMAT_VERSION = 1

Link = Literal["logistic", "identity"]
_MIN_LOGIT = -700.0  # below this exp(-z) overflows; the probability is 0 to double precision


class WeightsError(ValueError):
    """A weights file is missing, of another format version, or does not match the signals."""


@dataclass(frozen=True)
class LinearModel:
    """score = link(intercept + sum(coef * (x - mean) / scale)); `version` names the fit."""

    name: str
    version: str
    link: Link
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    trained_on: dict[str, Any]

    def __post_init__(self) -> None:
        if len({len(self.features), len(self.mean), len(self.scale), len(self.coef)}) != 1 or 0 in self.scale:
            raise WeightsError(f"{self.name}: features, mean, scale and coef must align, with no zero scale")
        # Folded once: score = link(offset + sum(slope * x)), the hot path's few multiply-adds.
        slopes = tuple(c / s for c, s in zip(self.coef, self.scale, strict=True))
        object.__setattr__(self, "_slopes", slopes)
        object.__setattr__(
            self, "_offset", self.intercept - sum(w * m for w, m in zip(slopes, self.mean, strict=True))
        )

    def contributions(self, values: tuple[float, ...]) -> tuple[float, ...]:
        """Each signal's share of the linear score, relative to an average conversation."""
        return tuple(w * (x - m) for w, x, m in zip(self._slopes, values, self.mean, strict=True))  # type: ignore[attr-defined]

    def predict(self, values: tuple[float, ...]) -> float:
        if len(values) != len(self.features):
            raise WeightsError(f"{self.name}: {len(values)} values for {len(self.features)} features")
        z = self._offset + sum(map(operator.mul, self._slopes, values))  # type: ignore[attr-defined]
        if self.link == "identity":
            return z
        return 1.0 / (1.0 + math.exp(-z)) if z > _MIN_LOGIT else 0.0

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, **asdict(self)}, indent=1) + "\n"


def read_model(path: Path, features: tuple[str, ...]) -> LinearModel:
    """The model stored at `path`, checked against the signal names the caller computes."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{path}: cannot read the weights ({exc})") from exc
    if raw.get("format_version") != FORMAT_VERSION:
        raise WeightsError(f"{path}: format_version {raw.get('format_version')!r}, expected {FORMAT_VERSION}")
    raw.pop("format_version")
    try:
        model = LinearModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    except TypeError as exc:
        raise WeightsError(f"{path}: not a weights file ({exc})") from exc
    if model.features != features:
        raise WeightsError(f"{path}: weights for signals {model.features}, the code computes {features}")
    return model


@cache
def shipped_model(name: str) -> LinearModel:
    """The shipped weights of model `name` (`resolution` or `quality`)."""
    from evals.local.signals import MODEL_FEATURES

    return read_model(WEIGHTS_DIR / f"{name}.json", MODEL_FEATURES[name])
