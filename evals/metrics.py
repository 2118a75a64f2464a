"""Ranking and detection metrics for the calibration report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu, rankdata


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: the probability that a random positive scores above a random
    negative, ties counting one half. It is the Mann-Whitney U of the positives over n+ * n-.
    None when a class is empty."""
    if not positives or not negatives:
        return None
    u = mannwhitneyu(positives, negatives, alternative="two-sided").statistic
    return float(u) / (len(positives) * len(negatives))


def auroc_standard_error(area: float, n_positive: int, n_negative: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUROC estimate."""
    q1 = area / (2 - area)
    q2 = 2 * area * area / (1 + area)
    variance = (
        area * (1 - area) + (n_positive - 1) * (q1 - area * area) + (n_negative - 1) * (q2 - area * area)
    ) / (n_positive * n_negative)
    return math.sqrt(max(variance, 0.0))


@dataclass(frozen=True)
class Detection:
    """Counts of a binary detector against labels."""

    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def precision(self) -> float | None:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else None


def detection(flags: Sequence[bool], labels: Sequence[bool]) -> Detection:
    pairs = list(zip(flags, labels, strict=True))
    return Detection(
        true_positive=sum(f and y for f, y in pairs),
        false_positive=sum(f and not y for f, y in pairs),
        false_negative=sum(not f and y for f, y in pairs),
        true_negative=sum(not f and not y for f, y in pairs),
    )


def auroc_of(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC of `scores` for binary `labels` (1 positive), ties counting one half; NaN when a
    class is empty (a bootstrap draw may miss one)."""
    positives = labels == 1
    n_pos = int(positives.sum())
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def spearman(target: np.ndarray, scores: np.ndarray) -> float:
    """Spearman's rank correlation (NaN when either side is constant)."""
    a, b = rankdata(target), rankdata(scores)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])
