"""The category-share change rule of the structure checks (issue 23): ``category_share_shift``
(re-exported by :mod:`monitor.checks.rules_structure`, which the records use).

Category shares: every category of every categorical column, tested against the baseline
versions' share (never the reference's: a generator with a constant share bias, e.g. a Gaussian
mixture that smooths a 2 % class to 3 %, would breach on every version; that bias is a gap). The
anchor of a category is its median share over the first k = :data:`BASELINE_PERIOD` (or
``baseline_versions``, if larger) versions before the one judged, a Phase I baseline of several
samples as control charts use (Montgomery, Introduction to Statistical Quality Control, ch. 7):
a single baseline version is one noisy refit (a 2 % category drew 10 to 27 of 1,000 rows between
healthy Gaussian-mixture refits). The versions are the oldest the noise model's window holds
(:attr:`VersionFigures.observed`: the generator's first versions in a history of up to 21); the
baseline alone when a version is judged on its own. The anchor stays put after a break, so a
thinned class keeps breaching (a moving anchor would take the broken versions in and resolve).
Per category the test is on Anscombe's variance-stabilised scale (Anscombe 1948, "The
transformation of Poisson, binomial and negative-binomial data", Biometrika 35: 246-254, its
binomial case): a count x of n rows maps to y = arcsin sqrt((x + 3/8) / (n + 3/4)), whose variance
is 1 / (4 n + 2) whatever the share (the square-root transform 2 sqrt(x + 3/8) of its Poisson case,
variance ~1, for a share of n rows). A generator fitted on N reference rows carries the refit
variance p (1 - p) / N on its share, 1 / (4 N) on this scale (delta method). The anchor a is the
median of the k anchor versions' y, the version's y of m rows is tested against it:
z = (y - a) / sqrt(1 / (4 m + 2) + 1 / (4 N) + c (1 / (4 m0 + 2) + 1 / (4 N)) / k), with m0 the
anchor versions' mean rows and c = :data:`MEDIAN_VARIANCE` [k]: k times the variance of the median
of k independent standard normals (1 for k <= 2, 1.346 for 3, 1.193 for 4, pi / 2 as k grows;
from the order statistics' densities, David and Nagaraja 2003, Order Statistics, 3rd ed., eqs.
2.1.6 and 2.2.1, integrated numerically; tests check it by simulation). On the share scale with
the null variance p (1 - p) (the two-proportion Wald test this replaces) a thinned class is judged
with the variance of its anchor's share, which it no longer has: a tenfold thinning of 20 expected
rows (2 seen) gives z = 3.1 there and 4.3 here. Categories with at least ``MIN_EXPECTED_COUNT``
rows expected at both sizes are tested; Bonferroni (Dunn 1961) over the tested categories and both
directions. A category breaches when its |z| passes that limit *and* its share ratio (the
version's share over the anchor versions' median share) is below ``category_share_low`` or above
``category_share_high``. A generator whose category shares scatter more between refits than the
bootstrap model says (a Gaussian mixture drew 13, 7, 32 and 23 rows of a 2.3 % class in its first
four versions) widens its own band: the anchor versions' scatter about each category's weighted
mean, over the modelled variance, pooled over the categories of the *other* categorical columns
with at least ``MIN_EXPECTED_COUNT`` rows expected (a Pearson chi-square with sum (k - 1) degrees
of freedom), multiplies the variance where it exceeds what the model explains at the
``DISPERSION_LEVEL`` (1 %) level, the quasi-likelihood dispersion of :mod:`monitor.checks.noise`
(McCullagh and Nelder, Generalized Linear Models, 2nd ed., sec. 4.5). Other columns only: a class
thinned within the anchor period scatters its own column's shares, which must not widen its own
band (a table with one categorical column keeps the model's noise). The version's own refit noise
sets a floor no anchor removes. Simulated with the modelled refit noise (four anchor versions, a
2,000-row reference, limit 3.9 for 13 categories), a tenfold thinning breaches half the versions
from about 17 rows expected in 1,000-row versions and nine in ten from about 23 (23 and 31 in
2,000-row versions); the Wald test needed about 31 and 39 (42 and over 45), at the same
false-alarm rate (about 1e-4 per category and version). The issue's 1.4 % class in 2,000-row
versions (28 expected, 3 seen) gives z = 4.3 against four anchor versions (3.5 against one; the
Wald test 3.1). `python -m benchmarks.bench_category_floor` simulates it; benchmarks/README.md.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collectors.figure_keys import CATEGORY_SHARE_PREFIX
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _bonferroni,
    chi_square_dispersion,
)
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = [
    "BASELINE_PERIOD",
    "MEDIAN_VARIANCE",
    "ShareAnchor",
    "category_share_shift",
    "category_shares_of",
    "share_dispersion",
    "share_scale",
    "share_z",
]

# Versions whose median category shares anchor category_share_shift (see the module).
BASELINE_PERIOD = 4
# k Var(median of k independent N(0, 1)) for k = 1, 2, ..., 21 (pi / 2 beyond; see the module).
MEDIAN_VARIANCE: tuple[float, ...] = (
    1.0, 1.0, 1.346, 1.193, 1.434, 1.288, 1.473, 1.345, 1.495, 1.383, 1.509,
    1.410, 1.518, 1.430, 1.525, 1.446, 1.531, 1.459, 1.535, 1.469, 1.538,
)  # fmt: skip
_NAMED = 3  # categories a detail names


def category_shares_of(v: VersionFigures) -> dict[tuple[str, str], float]:
    """(column, category) -> the version's share of the category, for every category tested at
    its size (0 where the version has none; a category not tested has no entry)."""
    out = {}
    for column, values in v.per_feature.items():
        for key, share in values.items():
            if key.startswith(CATEGORY_SHARE_PREFIX) and math.isfinite(share):
                out[(column, key.removeprefix(CATEGORY_SHARE_PREFIX))] = float(share)
    return out


def share_scale(share: float, rows: float) -> float:
    """Anscombe's (1948) variance-stabilised share of ``rows`` rows (variance 1 / (4 rows + 2))."""
    return math.asin(math.sqrt((share * rows + 3 / 8) / (rows + 3 / 4)))


@dataclass(frozen=True)
class ShareAnchor:
    """A category's anchor: its median share and scale over the anchor versions."""

    share: float  # median share over the anchor versions
    scale: float  # median of their share_scale values
    versions: int
    rows: float  # their mean rows


def _anchors(past: Sequence[VersionFigures]) -> dict[tuple[str, str], ShareAnchor]:
    """(column, category) -> its anchor over ``past`` (the versions that test it)."""
    shares: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for v in past:
        for key, share in category_shares_of(v).items():
            shares.setdefault(key, []).append((share, v.sample_rows))
    return {
        key: ShareAnchor(
            statistics.median(s for s, _ in values),
            statistics.median(share_scale(s, rows) for s, rows in values),
            len(values),
            statistics.fmean(rows for _, rows in values),
        )
        for key, values in shares.items()
    }


def _variance(rows: float, reference_rows: int) -> float:
    """Variance of a share of ``rows`` rows on the arcsine scale, ``1 / (4 rows + 2)``, plus the
    refit noise of a generator fitted on ``reference_rows`` rows, ``1 / (4 N)`` (see the module)."""
    refit = 1 / (4 * reference_rows) if reference_rows > 0 else 0.0
    return 1 / (4 * rows + 2) + refit


def share_dispersion(past: Sequence[VersionFigures], reference_rows: int) -> dict[str, float]:
    """Per categorical column, how many times the modelled variance the anchor versions ``past``
    scatter by on the arcsine scale, pooled over the *other* columns' categories (see the
    module); 1 unless significant."""
    values: dict[tuple[str, str], list[tuple[float, int, float]]] = {}
    for v in past:
        for key, share in category_shares_of(v).items():
            scale = share_scale(share, v.sample_rows)
            values.setdefault(key, []).append((share, v.sample_rows, scale))
    columns: dict[str, tuple[float, int]] = {}  # column -> (Pearson statistic, degrees of freedom)
    for (column, _), points in values.items():
        expected = statistics.median(share * rows for share, rows, _ in points)
        if len(points) < 2 or expected < MIN_EXPECTED_COUNT:
            continue
        weights = [1 / _variance(rows, reference_rows) for _, rows, _ in points]
        scales = [y for *_, y in points]
        centre = sum(w * y for w, y in zip(weights, scales, strict=True)) / sum(weights)
        statistic = sum(w * (y - centre) ** 2 for w, y in zip(weights, scales, strict=True))
        before = columns.get(column, (0.0, 0))
        columns[column] = (before[0] + statistic, before[1] + len(points) - 1)
    total = sum(x for x, _ in columns.values()), sum(df for _, df in columns.values())
    out = {}
    for column, (own, own_df) in columns.items():
        out[column] = chi_square_dispersion(total[0] - own, total[1] - own_df)
    return out


def share_z(
    share: float, rows: int, anchor: ShareAnchor, reference_rows: int, dispersion: float = 1.0
) -> float:
    """z of a version's share of ``rows`` rows against ``anchor``, the modelled variance times
    ``dispersion`` (:func:`share_dispersion`; see the module)."""
    k = anchor.versions
    median = MEDIAN_VARIANCE[k - 1] if k <= len(MEDIAN_VARIANCE) else math.pi / 2
    own = _variance(rows, reference_rows)
    anchored = median * _variance(anchor.rows, reference_rows) / k
    return (share_scale(share, rows) - anchor.scale) / math.sqrt(dispersion * (own + anchored))


def _shares(
    now: Mapping[tuple[str, str], float],
    anchors: Mapping[tuple[str, str], ShareAnchor],
    m: int,
    n: int,
    t: CheckThresholds,
    dispersion: Mapping[str, float] | None = None,
) -> Outcome:
    """Each category's share ``now`` (of ``m`` rows) against its anchor (see the module);
    ``dispersion``: per column, the factor of :func:`share_dispersion`."""
    tested: list[tuple[float, str, float, float, float]] = []  # (ratio, name, |z|, was, is)
    for key in sorted(anchors):
        anchor = anchors[key]
        if key not in now:  # not tested in this version (too few rows expected at its size)
            continue
        share, was = now[key], anchor.share
        if was * m < MIN_EXPECTED_COUNT or was * anchor.rows < MIN_EXPECTED_COUNT:
            continue
        z = share_z(share, m, anchor, n, (dispersion or {}).get(key[0], 1.0))
        tested.append((share / was, f"{key[0]}={key[1]}", abs(z), was, share))
    if not tested:
        return NONE
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))
    breaches = [
        x
        for x in tested
        if (x[0] < t.category_share_low or x[0] > t.category_share_high) and x[2] > z_limit
    ]

    def off(x: tuple[float, str, float, float, float]) -> float:
        return abs(math.log(max(x[0], 1e-9)))

    breaches.sort(key=off, reverse=True)
    worst = breaches[0] if breaches else max(tested, key=off)
    detail = ", ".join(
        f"{name} {was:.1%} -> {is_:.1%} (x{ratio:.2f})"
        for ratio, name, _, was, is_ in breaches[:_NAMED]
    )
    limit = t.category_share_low if worst[0] < 1 else t.category_share_high
    return bool(breaches), limit, worst[0], detail, f"{worst[1]} share / anchor's"


def category_share_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Change: a category's share against the baseline versions' (a class thinned or swollen):
    the median share over the first :data:`BASELINE_PERIOD` versions before this one (the
    baseline alone when the version is judged on its own)."""
    now = category_shares_of(current)
    past = current.observed.past if current.observed is not None else ()
    period = past[: max(BASELINE_PERIOD, t.baseline_versions)]
    anchors = _anchors(period or (baseline,))
    if not now or not anchors:
        return NONE
    dispersion = share_dispersion(period, current.reference_rows)
    return _shares(now, anchors, current.sample_rows, current.reference_rows, t, dispersion)
