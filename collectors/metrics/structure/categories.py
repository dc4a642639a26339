"""Every category's share, tested: is the version's count of a category what the reference's
share predicts?

For a categorical column, a reference category with share p and a version of n rows holding x
rows of it: x ~ Binomial(n, p) for a generator that keeps the share. The two-sided exact binomial
test (Clopper and Pearson 1934; the "minlike" p-value of R's ``binom.test`` and
``scipy.stats.binomtest``): P = sum of P(X = j) over every j with P(X = j) <= P(X = x), within a
relative tolerance of 1e-7. Categories with fewer than ``min_expected`` expected rows (n p) are
not tested; the p-values are Bonferroni-adjusted (Dunn 1961) over every category tested in the
call. A class of 1.4 % at a tenth of its share in 2,000 rows (28 expected, 3 seen) gives
P ~ 1e-9: found at the version's size, where a rule of "rare: too rare to judge" says nothing.
Pure: frames in, numbers out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom

from collectors.metrics.structure._frame import Columns, check_columns, labels, split_columns

__all__ = [
    "MIN_EXPECTED",
    "CategoryShare",
    "CategoryShares",
    "CategoryShift",
    "binomial_two_sided",
    "category_share_shift",
    "category_shares",
    "reference_category_counts",
]

MIN_EXPECTED = 10.0  # expected version rows below which a category is not tested
MAX_TESTED = 50  # most frequent reference categories tested per column
_RELATIVE_TOLERANCE = 1.0 + 1e-7  # scipy.stats.binomtest's and R's


def binomial_two_sided(x: int, n: int, p: float) -> float:
    """Exact two-sided binomial p-value (minlike): sum_j P(X = j) over P(X = j) <= P(X = x)."""
    if n <= 0:
        return 1.0
    if p <= 0.0 or p >= 1.0:
        return 1.0 if x == round(p * n) else 0.0
    pmf = binom.pmf(np.arange(n + 1), n, p)
    threshold = pmf[x] * _RELATIVE_TOLERANCE
    return float(min(1.0, pmf[pmf <= threshold].sum()))


@dataclass(frozen=True)
class CategoryShare:
    """One category: its reference share, the version's count and share, and the test."""

    column: str
    category: str
    reference_share: float
    expected: float
    observed: int
    version_share: float
    ratio: float  # version share / reference share
    p_value: float
    adjusted_p_value: float  # Bonferroni over the call's tested categories


@dataclass(frozen=True)
class CategoryShares:
    """Every tested category, worst (smallest adjusted p, then ratio furthest from 1) first."""

    tested: tuple[CategoryShare, ...]
    untested: int  # reference categories with too few expected rows

    def worst(self, count: int = 10) -> list[CategoryShare]:
        return list(self.tested[:count])

    def figures(self, alpha: float = 0.01) -> dict[str, float]:
        """``category_share_p_min`` (adjusted), ``category_share_ratio_min`` and ``_max``, and
        ``categories_off_share`` (tested categories with adjusted p below ``alpha``)."""
        if not self.tested:
            return {}
        ratios = [s.ratio for s in self.tested]
        return {
            "category_share_p_min": min(s.adjusted_p_value for s in self.tested),
            "category_share_ratio_min": float(min(ratios)),
            "category_share_ratio_max": float(max(ratios)),
            "categories_off_share": float(sum(s.adjusted_p_value < alpha for s in self.tested)),
        }


def reference_category_counts(
    reference: pd.DataFrame, columns: Columns
) -> dict[str, list[tuple[str, int]]]:
    """Each categorical column's reference labels and counts, most frequent first (ties by
    label): what :func:`category_shares` tests every version against."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name in columns.categorical:
        real = pd.Series(labels(reference, name)).value_counts()
        out[name] = sorted(real.items(), key=lambda item: (-item[1], item[0]))
    return out


def category_shares(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    min_expected: float = MIN_EXPECTED,
    max_tested: int = MAX_TESTED,
    reference_counts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> CategoryShares:
    """Binomial test of each reference category's count in the version (see the module).
    ``reference_counts``: :func:`reference_category_counts` of ``reference``, when a caller
    measuring many versions against it keeps them."""
    kinds = (
        columns
        if isinstance(columns, Columns)
        else split_columns(reference, columns=columns, categorical=categorical)
    )
    check_columns(version, kinds, "version")
    counted = (
        reference_category_counts(reference, kinds)
        if reference_counts is None
        else reference_counts
    )
    n = len(version)
    rows: list[tuple[str, str, float, int]] = []
    untested = 0
    for name in kinds.categorical:
        seen = pd.Series(labels(version, name)).value_counts()
        for rank, (category, count) in enumerate(counted[name]):
            share = count / len(reference)
            if share * n < min_expected or rank >= max_tested:
                untested += 1
                continue
            rows.append((name, str(category), share, int(seen.get(category, 0))))
    tests = len(rows)
    out = []
    for name, category, share, observed in rows:
        p_value = binomial_two_sided(observed, n, share)
        out.append(
            CategoryShare(
                column=name,
                category=category,
                reference_share=share,
                expected=share * n,
                observed=observed,
                version_share=observed / n,
                ratio=observed / (share * n),
                p_value=p_value,
                adjusted_p_value=min(1.0, p_value * tests),
            )
        )
    out.sort(key=lambda s: (s.adjusted_p_value, -abs(np.log(max(s.ratio, 1e-9))), s.column))
    return CategoryShares(tuple(out), untested)


@dataclass(frozen=True)
class CategoryShift:
    """One category's share in a version against its share over earlier (baseline) versions."""

    column: str
    category: str
    baseline_share: float  # mean over the baseline versions
    version_share: float
    between_sd: float  # tau: the baseline versions' share spread beyond binomial noise
    z: float  # (version share - baseline share) / its noise


def category_share_shift(
    baseline: Sequence[pd.DataFrame],
    version: pd.DataFrame,
    *,
    columns: Columns,
    min_expected: float = MIN_EXPECTED,
    max_tested: int = MAX_TESTED,
) -> list[CategoryShift]:
    """Each category's share in ``version`` against the baseline versions' shares: change, not
    distance, with the generator's own refit noise.

    For a category with shares p_1..p_B in B >= 2 baseline versions of n_1..n_B rows (mean p):
    the between-version variance beyond binomial noise, by the method of moments (DerSimonian and
    Laird 1986, eq. 3 in its unweighted form): tau^2 = max(0, var(p_i) - mean(p_i (1 - p_i) /
    n_i)); a version of n rows with share q: z = (q - p) / sqrt(p (1 - p) / n + tau^2 +
    (var(p_i) if B > 1) / B). A generator whose category shares wander from version to version
    widens its own band; a steady generator keeps the binomial one. Categories with fewer than
    ``min_expected`` rows expected (n p) are left out; most negative z first.
    """
    if len(baseline) < 2:
        raise ValueError(f"category shift needs at least 2 baseline versions, got {len(baseline)}")
    for i, frame in enumerate(baseline):
        check_columns(frame, columns, f"baseline version {i}")
    check_columns(version, columns, "version")
    n = len(version)
    out = []
    for name in columns.categorical:
        counts = [pd.Series(labels(frame, name)).value_counts() for frame in baseline]
        sizes = np.array([len(frame) for frame in baseline], dtype=np.float64)
        seen = pd.Series(labels(version, name)).value_counts()
        pooled = sum(counts[1:], counts[0].copy()).sort_values(ascending=False)
        for category in list(pooled.index[:max_tested]):
            shares = np.array([c.get(category, 0) for c in counts]) / sizes
            p = float(shares.mean())
            if p * n < min_expected:
                continue
            variance = float(shares.var(ddof=1))
            tau2 = max(0.0, variance - float(np.mean(shares * (1 - shares) / sizes)))
            q = float(seen.get(category, 0)) / n
            noise = np.sqrt(p * (1 - p) / n + tau2 + variance / len(baseline))
            z = (q - p) / noise if noise > 0 else 0.0
            out.append(CategoryShift(name, str(category), p, q, float(np.sqrt(tau2)), float(z)))
    return sorted(out, key=lambda s: (s.z, s.column, s.category))
