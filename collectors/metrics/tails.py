"""Tail frequency: does the synthetic sample keep the real tails and the rare categories?

Model collapse loses the tails first: Shumailov et al. 2024, "AI models collapse when trained on
recursively generated data", Nature 631, 755-759 ("What is model collapse?": in early collapse the
tails of the original distribution disappear; later the variance drifts towards zero). These
functions count how often the synthetic sample still lands beyond the real reference's extreme
quantiles, and how much mass it still gives to the real reference's rare categories.

Pure functions: arrays in, frozen dataclasses and plain dicts out; no I/O, no global state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.sources import check_pair

__all__ = [
    "CategoricalTails",
    "TailFrequency",
    "as_labels",
    "categorical_tails",
    "feature_names",
    "numeric_tail_frequency",
    "summarize_tails",
]

_MAX_MISSING_LISTED = 20
# A side of a column has a tail at q when the real share strictly beyond its threshold is at least
# this share of q; below it, ties pile the values at the quantile (a pixel that is 0 in 99 % of
# rows, a loan term of 60 months for most rows) and the expected share, about 1 / N, would turn
# any continuous generator into an "excess" of hundreds.
TAIL_PRESENCE = 0.5
# A tail (or a category) is supported by a sample when the count expected in it is at least this:
# a Poisson(10) count is 0 with probability 4.5e-5 and below half its mean with 3 %.
MIN_EXPECTED_COUNT = 10.0
# N * q is rounded down to the order-statistic index; the slack absorbs binary rounding such as
# 0.29 * 100 = 28.999999999999996, which must count as 29.
_INDEX_SLACK = 1e-9


@dataclass(frozen=True)
class TailFrequency:
    """How often the synthetic sample lands beyond the real q- and (1 - q)-quantiles of a feature.

    ``*_share`` is the share of synthetic samples strictly beyond the threshold,
    ``expected_*_share`` the share of real reference samples strictly beyond the same threshold, and
    ``*_ratio`` their quotient: 1 is healthy, towards 0 the tail vanished (collapse), above 1 the
    generator invents extremes. ``*_has_tail`` is False where the expected share is below
    ``TAIL_PRESENCE * q`` (ties at the threshold, a constant column, or fewer than 1 / q rows): the
    column has no tail on that side and its ratio is NaN. ``*_supported`` additionally asks for
    ``MIN_EXPECTED_COUNT`` synthetic samples expected beyond the threshold, so that a ratio of that
    side is more than counting noise; summaries and checks use supported sides only.
    """

    feature: str
    q: float
    lower_threshold: float
    upper_threshold: float
    expected_lower_share: float
    expected_upper_share: float
    lower_share: float
    upper_share: float
    lower_ratio: float
    upper_ratio: float
    lower_has_tail: bool = True
    upper_has_tail: bool = True
    lower_supported: bool = True
    upper_supported: bool = True

    def share_figures(self) -> dict[str, float]:
        """Per side that has a tail, ``tail_share_<side>`` (the sample's share beyond the
        reference's threshold) and ``tail_expected_<side>`` (the reference's): the per-feature
        figures the tail checks compare with the baseline version's."""
        out: dict[str, float] = {}
        for side, has_tail, share, expected in (
            ("lower", self.lower_has_tail, self.lower_share, self.expected_lower_share),
            ("upper", self.upper_has_tail, self.upper_share, self.expected_upper_share),
        ):
            if has_tail:
                out[f"tail_share_{side}"] = share
                out[f"tail_expected_{side}"] = expected
        return out


@dataclass(frozen=True)
class CategoricalTails:
    """How much synthetic mass the real reference's rare categories keep, and which ones vanished.

    ``rare_categories``: real categories whose real share is below the rare threshold, by real
    frequency descending. ``rare_mass_ratio`` = synthetic mass / real mass of those categories (NaN
    when there are none). ``missing``: up to 20 real categories absent from the synthetic sample,
    by real frequency descending; ``missing_categories`` counts all of them. ``lost``: the missing
    categories that the sample should have held (real share at least ``min_share`` and at least
    ``MIN_EXPECTED_COUNT`` expected synthetic rows), by real frequency descending; their absence is
    not sampling noise.
    """

    feature: str
    rare_categories: tuple[object, ...]
    real_rare_mass: float
    synthetic_rare_mass: float
    rare_mass_ratio: float
    missing_categories: int
    missing: tuple[object, ...]
    lost: tuple[object, ...] = ()
    lost_categories: int = 0
    synthetic_rows: int = 0


def feature_names(features: Sequence[str] | None, n_columns: int) -> list[str]:
    """Column names: ``features`` checked against the column count, or "0", "1", ... when None."""
    if features is None:
        return [str(i) for i in range(n_columns)]
    names = [str(name) for name in features]
    if len(names) != n_columns:
        raise ValueError(f"features: {len(names)} names given for {n_columns} columns")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"features: duplicate names {duplicated}")
    return names


def as_labels(values: object, name: str, *, feature: str | None = None) -> list[object]:
    """Return ``values`` as a non-empty list of category labels with no None/NaN among them.

    Labels may be any hashable (strings, integers, ...); equal labels (by Python ``==``) are one
    category. Raises ``ValueError`` naming the feature, the input and the number of missing labels.
    """
    where = f"{feature}: {name}" if feature is not None else name
    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{where}: expected a 1-D array of labels, got {array.ndim}-D")
    if array.size == 0:
        raise ValueError(f"{where}: is empty (0 labels)")
    missing = pd.isna(array)
    if missing.any():
        first = ", ".join(str(int(i)) for i in np.flatnonzero(missing)[:5])
        raise ValueError(
            f"{where}: {int(missing.sum())} of {array.size} labels are missing (None/NaN); "
            f"first rows {first}"
        )
    return array.tolist()


def _check_quantiles(quantiles: Sequence[float]) -> list[float]:
    values = [float(q) for q in quantiles]
    if not values:
        raise ValueError("quantiles: at least one q is needed")
    bad = [q for q in values if not (0.0 < q < 0.5)]
    if bad:
        raise ValueError(f"quantiles: each q must lie in (0, 0.5), got {bad}")
    return values


def _ratio(share: float, expected: float) -> float:
    return share / expected if expected > 0 else math.nan


def numeric_tail_frequency(
    real: object,
    synthetic: object,
    *,
    features: Sequence[str] | None = None,
    quantiles: Sequence[float] = (0.01, 0.001),
    min_expected_count: float = MIN_EXPECTED_COUNT,
    real_sorted: np.ndarray | None = None,
    synthetic_shares: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    | None = None,
) -> list[TailFrequency]:
    """Per numeric feature (column) and per q, the synthetic share beyond the real tail thresholds.

    Tail loss is the first sign of collapse (Shumailov et al. 2024, Nature, "What is model
    collapse?"). The lower threshold is the real order statistic x_(k+1), k = floor(N q) (1-based),
    i.e. the largest real value with at most a share q of the real sample strictly below it; the
    upper threshold mirrors it, x_(N-k). Both are real values, and the real share strictly beyond
    them (the expected share) is at most q, exactly k / N on continuous data and less where values
    tie. Dividing by this expected share rather than by q keeps discrete columns calibrated.
    When N q < 1 the thresholds are the real minimum and maximum and the ratios are NaN.

    For identical continuous distributions the ratio's expectation is about 1 + 1 / k (the
    threshold is one order statistic past the k tail samples): use N q >= 50 for a bias under 2 %.

    Ties: where fewer than ``TAIL_PRESENCE * q`` of the real rows lie strictly beyond a threshold,
    the side has no tail (``*_has_tail`` False, ratio NaN) instead of a ratio over a vanishing
    expected share. A side is supported when ``expected share * M >= min_expected_count``.
    Results are ordered by feature, then by q as given. ``real_sorted``: ``np.sort(real,
    axis=0)``, when one reference meets many samples. ``synthetic_shares(lower, upper)``: the
    synthetic shares strictly below and strictly above the thresholds per column, when the
    sample's counts come cheaper than comparing every row (a healthy draw of holdout rows,
    :class:`collectors.metrics.draw_columns.DrawColumns`); the same shares.
    """
    qs = _check_quantiles(quantiles)
    given = None if features is None else [str(name) for name in features]
    real_array, synthetic_array = check_pair(real, synthetic, columns=given)
    names = feature_names(given, real_array.shape[1])
    n_real, n_synthetic = real_array.shape[0], synthetic_array.shape[0]
    if real_sorted is None:
        real_sorted = np.sort(real_array, axis=0)

    if synthetic_shares is None:

        def synthetic_shares(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (synthetic_array < lower).mean(axis=0), (synthetic_array > upper).mean(axis=0)

    per_q = []
    for q in qs:
        k = min(math.floor(n_real * q + _INDEX_SLACK), n_real - 1)
        lower = real_sorted[k]
        upper = real_sorted[n_real - 1 - k]
        per_q.append(
            (
                q,
                lower,
                upper,
                # the real rows beyond a threshold lie in the sorted columns' first k + 1 (last
                # k + 1) rows: the same counts as comparing every row, over n_real (bit for bit)
                (real_sorted[: k + 1] < lower).sum(axis=0) / n_real,
                (real_sorted[n_real - 1 - k :] > upper).sum(axis=0) / n_real,
                *synthetic_shares(lower, upper),
            )
        )

    results = []
    for j, name in enumerate(names):
        for q, lower, upper, exp_lower, exp_upper, syn_lower, syn_upper in per_q:
            expected = (float(exp_lower[j]), float(exp_upper[j]))
            has_tail = tuple(e > 0 and e >= TAIL_PRESENCE * q for e in expected)
            supported = tuple(
                h and e * n_synthetic >= min_expected_count
                for h, e in zip(has_tail, expected, strict=True)
            )
            results.append(
                TailFrequency(
                    feature=name,
                    q=q,
                    lower_threshold=float(lower[j]),
                    upper_threshold=float(upper[j]),
                    expected_lower_share=expected[0],
                    expected_upper_share=expected[1],
                    lower_share=float(syn_lower[j]),
                    upper_share=float(syn_upper[j]),
                    lower_ratio=_ratio(float(syn_lower[j]), expected[0])
                    if has_tail[0]
                    else math.nan,
                    upper_ratio=_ratio(float(syn_upper[j]), expected[1])
                    if has_tail[1]
                    else math.nan,
                    lower_has_tail=has_tail[0],
                    upper_has_tail=has_tail[1],
                    lower_supported=supported[0],
                    upper_supported=supported[1],
                )
            )
    return results


def _by_frequency(counts: Counter[object], labels: list[object]) -> tuple[object, ...]:
    """``labels`` by count descending; ties keep their first-appearance order in the real sample."""
    return tuple(sorted(labels, key=lambda label: -counts[label]))


def categorical_tails(
    real_labels: object,
    synthetic_labels: object,
    *,
    feature: str,
    rare_threshold: float = 0.01,
    min_share: float = 0.01,
    min_expected_count: float = MIN_EXPECTED_COUNT,
) -> CategoricalTails:
    """Synthetic mass of the real reference's rare categories, and the categories that vanished.

    Collapse first forgets the improbable events (Shumailov et al. 2024, Nature, "What is model
    collapse?" and "Discrete distributions with exact approximation"). A category is rare when its
    real share is strictly below ``rare_threshold``; ``rare_mass_ratio`` = synthetic share of all
    rare categories / their real share (1 healthy, towards 0 the rare categories vanish, NaN when
    no real category is rare). Synthetic-only categories count in the synthetic denominator only.
    A missing category is *lost* when its real share is at least ``min_share`` and the sample
    should hold at least ``min_expected_count`` of it (real share x M): its absence is then a
    change of the generator, not chance (probability below exp(-10) under the real share).
    """
    if not (0.0 < float(rare_threshold) <= 1.0):
        raise ValueError(f"rare_threshold must lie in (0, 1], got {rare_threshold!r}")
    real = as_labels(real_labels, "real_labels", feature=feature)
    synthetic = as_labels(synthetic_labels, "synthetic_labels", feature=feature)
    real_counts = Counter(real)
    synthetic_counts = Counter(synthetic)
    n_real, n_synthetic = len(real), len(synthetic)

    rare = [c for c, count in real_counts.items() if count / n_real < rare_threshold]
    real_rare_mass = sum(real_counts[c] for c in rare) / n_real
    synthetic_rare_mass = sum(synthetic_counts[c] for c in rare) / n_synthetic
    missing = [c for c in real_counts if c not in synthetic_counts]
    lost = [
        c
        for c in missing
        if real_counts[c] / n_real >= min_share
        and real_counts[c] / n_real * n_synthetic >= min_expected_count
    ]
    return CategoricalTails(
        feature=feature,
        rare_categories=_by_frequency(real_counts, rare),
        real_rare_mass=real_rare_mass,
        synthetic_rare_mass=synthetic_rare_mass,
        rare_mass_ratio=_ratio(synthetic_rare_mass, real_rare_mass) if rare else math.nan,
        missing_categories=len(missing),
        missing=_by_frequency(real_counts, missing)[:_MAX_MISSING_LISTED],
        lost=_by_frequency(real_counts, lost)[:_MAX_MISSING_LISTED],
        lost_categories=len(lost),
        synthetic_rows=n_synthetic,
    )


def summarize_tails(
    numeric: list[TailFrequency],
    categorical: list[CategoricalTails],
    *,
    q: float = 0.01,
) -> dict[str, float]:
    """Catalog figures of one run from the per-feature tail results.

    ``tail_frequency_ratio`` is the mean of the lower and upper ratios at ``q`` over the
    supported sides of the numeric features (``_min``/``_max`` their extremes; sides without a tail
    or with too few expected samples are left out, ``tail_sides_unsupported`` counts them);
    ``rare_category_mass_ratio`` pools the categorical features (total synthetic rare mass / total
    real rare mass) and ``rare_category_mass`` is the mean synthetic rare mass per categorical
    feature (a share of the sample's rows); ``missing_categories`` sums the missing counts and
    ``categories_lost`` the lost ones (see :func:`categorical_tails`). A key whose value cannot be
    computed (no numeric result at ``q``, no supported side, no categorical feature, no rare
    category) is left out instead of holding NaN. Source: Shumailov et al. 2024, Nature (tail
    loss).
    """
    summary: dict[str, float] = {}
    at_q = [item for item in numeric if math.isclose(item.q, q, rel_tol=1e-9, abs_tol=0.0)]
    ratios = [
        ratio
        for item in at_q
        for ratio, supported in (
            (item.lower_ratio, item.lower_supported),
            (item.upper_ratio, item.upper_supported),
        )
        if supported and math.isfinite(ratio)
    ]
    if at_q:
        summary["tail_sides_unsupported"] = float(2 * len(at_q) - len(ratios))
    if ratios:
        summary["tail_frequency_ratio"] = float(np.mean(ratios))
        summary["tail_frequency_ratio_min"] = float(min(ratios))
        summary["tail_frequency_ratio_max"] = float(max(ratios))
    if categorical:
        real_mass = sum(item.real_rare_mass for item in categorical)
        if real_mass > 0:
            synthetic_mass = sum(item.synthetic_rare_mass for item in categorical)
            summary["rare_category_mass_ratio"] = synthetic_mass / real_mass
            summary["rare_category_mass"] = synthetic_mass / len(categorical)
        summary["missing_categories"] = float(sum(item.missing_categories for item in categorical))
        summary["categories_lost"] = float(sum(item.lost_categories for item in categorical))
    return summary
