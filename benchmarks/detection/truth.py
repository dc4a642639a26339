"""Ground truth per generation, measured without Tailwatch, and the onset rule.

Per version: utility (TSTR: a fixed classifier trained on the version, balanced accuracy on the
real test split; TRTR beside it), the class and category mix (lost categories, class-share total
variation), per-feature standard-deviation ratios and tail shares.

Onset of collapse (per scenario; uses only these figures and the healthy controls' figures of the
same data set and generator, over every seed and generation): the first generation ``t`` at which
a criterion below holds at ``t`` and at ``t + 1`` (at ``t`` alone for the last generation):

- ``utility``: TSTR below the healthy controls' minimum by more than ``UTILITY_MARGIN``;
- ``category``: a category with a real training share >= 1 % (class or nominal column) that
  generation 0 of the scenario held is absent (one absent from generation 0 on is a constant gap
  of the generator, not a collapse: it is listed, not an onset);
- ``tails``: the share of supported tail sides whose tail-share ratio is below 0.5 exceeds the
  healthy controls' maximum by more than ``TAIL_MARGIN``;
- ``spread``: the median per-feature std ratio leaves the healthy controls' range by more than
  ``SPREAD_MARGIN`` (down: variance collapse; up: blur).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from benchmarks.detection.data import Dataset

__all__ = ["Envelope", "GroundTruth", "as_dict", "envelope", "ground_truth", "onset", "trtr"]

TAIL_QUANTILE = 0.05  # tails: strictly beyond the real 5 % / 95 % quantiles
TAIL_MIN_SHARE = 0.01  # a side has support when at least 1 % of real rows lie strictly beyond
TAIL_LOW_RATIO = 0.5
CATEGORY_MIN_SHARE = 0.01
UTILITY_MARGIN = 0.02
TAIL_MARGIN = 0.10
SPREAD_MARGIN = 0.10


@dataclass(frozen=True)
class GroundTruth:
    """The independent figures of one version."""

    tstr: float
    class_tv: float
    lost: tuple[str, ...]  # "column=category" with a real share >= 1 %, absent from the version
    std_ratio_median: float
    std_ratio_min: float
    tail_ratio_median: float
    tail_lost_share: float  # of the supported tail sides, the share with ratio < 0.5


def _classifier(data: Dataset) -> Pipeline:
    """The fixed classifier: logistic regression on standardised numeric and one-hot columns."""
    steps = [("numeric", StandardScaler(), data.numeric)]
    if data.categorical:
        steps.append(("nominal", OneHotEncoder(handle_unknown="ignore"), data.categorical))
    return make_pipeline(ColumnTransformer(steps), LogisticRegression(max_iter=2000, C=1.0))


def _utility(data: Dataset, train: pd.DataFrame) -> float:
    """Balanced accuracy on the real test split of the classifier trained on ``train``."""
    labels = train[data.target]
    if labels.nunique() < 2:
        predicted = np.full(len(data.test), labels.iloc[0], dtype=object)
    else:
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            model = _classifier(data).fit(train[data.numeric + data.categorical], labels)
            predicted = model.predict(data.test[data.numeric + data.categorical])
    return float(balanced_accuracy_score(data.test[data.target], predicted))


def trtr(data: Dataset) -> float:
    """Train on the real training split, test on real: the utility a perfect generator keeps."""
    return _utility(data, data.train)


def _tail_sides(real: np.ndarray, synthetic: np.ndarray) -> list[float]:
    """Synthetic / real share strictly beyond each supported real 5 % / 95 % quantile."""
    ratios = []
    for column in range(real.shape[1]):
        r, s = real[:, column], synthetic[:, column]
        low, high = np.quantile(r, [TAIL_QUANTILE, 1.0 - TAIL_QUANTILE])
        for real_share, synthetic_share in (
            (np.mean(r < low), np.mean(s < low)),
            (np.mean(r > high), np.mean(s > high)),
        ):
            if real_share >= TAIL_MIN_SHARE:
                ratios.append(float(synthetic_share / real_share))
    return ratios


def ground_truth(data: Dataset, version: pd.DataFrame) -> GroundTruth:
    """Every ground-truth figure of one version against the real training split."""
    real = data.train
    shares = real[data.target].value_counts(normalize=True)
    version_shares = version[data.target].value_counts(normalize=True)
    class_tv = 0.5 * float(shares.subtract(version_shares, fill_value=0.0).abs().sum())
    lost = []
    for column in data.all_categorical:
        real_shares = real[column].value_counts(normalize=True)
        present = set(version[column].unique())
        lost += [
            f"{column}={category}"
            for category, share in real_shares.items()
            if share >= CATEGORY_MIN_SHARE and category not in present
        ]
    real_numeric = real[data.numeric].to_numpy(dtype=float)
    synthetic_numeric = version[data.numeric].to_numpy(dtype=float)
    real_std = real_numeric.std(axis=0)
    varying = real_std > 0
    std_ratio = synthetic_numeric[:, varying].std(axis=0) / real_std[varying]
    tails = _tail_sides(real_numeric, synthetic_numeric)
    return GroundTruth(
        tstr=_utility(data, version),
        class_tv=class_tv,
        lost=tuple(sorted(lost)),
        std_ratio_median=float(np.median(std_ratio)),
        std_ratio_min=float(std_ratio.min()),
        tail_ratio_median=float(np.median(tails)) if tails else float("nan"),
        tail_lost_share=float(np.mean(np.asarray(tails) < TAIL_LOW_RATIO)) if tails else 0.0,
    )


@dataclass(frozen=True)
class Envelope:
    """The healthy controls' range of the ground truth (one data set and generator)."""

    tstr_min: float
    tail_lost_max: float
    std_median_min: float
    std_median_max: float


def envelope(healthy: Iterable[GroundTruth]) -> Envelope:
    """The range over every seed and generation of the healthy controls."""
    truths = list(healthy)
    return Envelope(
        tstr_min=min(t.tstr for t in truths),
        tail_lost_max=max(t.tail_lost_share for t in truths),
        std_median_min=min(t.std_ratio_median for t in truths),
        std_median_max=max(t.std_ratio_median for t in truths),
    )


def _criteria(truth: GroundTruth, band: Envelope, gap: set[str]) -> list[str]:
    """The onset criteria one version meets (``gap``: categories already lost at generation 0)."""
    met = []
    if truth.tstr < band.tstr_min - UTILITY_MARGIN:
        met.append("utility")
    if set(truth.lost) - gap:
        met.append("category")
    if truth.tail_lost_share > band.tail_lost_max + TAIL_MARGIN:
        met.append("tails")
    if not (
        band.std_median_min - SPREAD_MARGIN
        <= truth.std_ratio_median
        <= band.std_median_max + SPREAD_MARGIN
    ):
        met.append("spread")
    return met


def onset(truths: Sequence[GroundTruth], band: Envelope) -> tuple[int | None, list[list[str]]]:
    """The onset generation (None: no collapse) and the criteria each generation meets."""
    gap = set(truths[0].lost) if truths else set()
    met = [_criteria(t, band, gap) for t in truths]
    for t, criteria in enumerate(met):
        if criteria and (t + 1 == len(met) or met[t + 1]):
            return t, met
    return None, met


def as_dict(truth: GroundTruth) -> Mapping[str, object]:
    """A JSON-ready copy."""
    return {
        "tstr": round(truth.tstr, 4),
        "class_tv": round(truth.class_tv, 4),
        "lost": list(truth.lost),
        "std_ratio_median": round(truth.std_ratio_median, 4),
        "std_ratio_min": round(truth.std_ratio_min, 4),
        "tail_ratio_median": round(truth.tail_ratio_median, 4),
        "tail_lost_share": round(truth.tail_lost_share, 4),
    }
