"""Structure rules (issue 23): the joint and conditional structure a version keeps or breaks while
every marginal holds. Change rules compare a version with its baseline (collapse checks), gap rules
with the healthy real-vs-real level at the version's size (fidelity findings).

The figures are :data:`collectors.metrics.structure.specs.STRUCTURE_METRICS`. Noise, as for the
other change checks (:mod:`monitor.checks.noise`): each version's healthy spread (the real holdout
draws' standard deviation at the version's size), widened by the refit noise and, where the
generator's own history scatters significantly more, by that dispersion; a change must exceed
``noise_sigmas`` times that noise *and* a minimum size (a threshold of each check), so a large
sample does not page on a change nobody would act on.

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
from about 17 rows expected in 1,000-row versions and nine in ten from about 23 (22 and 31 in
2,000-row versions); the Wald test needed about 31 and 39 (42 and over 45), at the same
false-alarm rate (about 1e-4 per category and version). The issue's 1.4 % class in 2,000-row
versions (28 expected, 3 seen) gives z = 4.3 against four anchor versions (3.5 against one; the
Wald test 3.1). benchmarks/README.md has the figures.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy.stats import chi2

from collectors.figure_keys import CATEGORY_SHARE_PREFIX, IMPORTANCE_CHANGE
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    DISPERSION_LEVEL,
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _bonferroni,
    _change_sd,
    _sd,
)
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = [
    "BASELINE_PERIOD",
    "CATEGORY_SHARE_PREFIX",
    "MEDIAN_VARIANCE",
    "ShareAnchor",
    "boundary_coverage_decline",
    "boundary_coverage_gap",
    "category_share_gap",
    "category_share_shift",
    "category_shares_of",
    "class_coverage_decline",
    "class_coverage_gap",
    "dependence_gap",
    "dependence_shift",
    "detectability_gap",
    "detectability_rise",
    "interaction_gap",
    "interaction_loss",
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
_NAMED = 3  # columns, features or categories a detail names


# -- helpers ------------------------------------------------------------------------------------


def _worst_columns(v: VersionFigures, metric: str, *, highest: bool = True) -> list[str]:
    """Columns by their per-feature ``metric``, worst first (highest, or lowest)."""
    values = [(values[metric], name) for name, values in v.per_feature.items() if metric in values]
    values = [x for x in values if math.isfinite(x[0])]
    values.sort(key=lambda x: (-x[0] if highest else x[0], x[1]))
    return [f"{name} ({value:.2f})" for value, name in values[:_NAMED]]


def _rise(
    metric: str, minimum: float, current: VersionFigures, baseline: VersionFigures, sigmas: float
) -> Outcome:
    """``metric`` above the baseline's by ``minimum`` *and* by ``sigmas`` change noises."""
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None:
        return NONE
    limit = anchor + max(minimum, sigmas * _change_sd(current, baseline, metric))
    return value > limit, limit, value, ""


def _fall(
    metric: str, share: float, current: VersionFigures, baseline: VersionFigures, sigmas: float
) -> Outcome:
    """``metric`` below ``share`` of the baseline's *and* below it by ``sigmas`` change noises."""
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None:
        return NONE
    limit = min(share * anchor, anchor - sigmas * _change_sd(current, baseline, metric))
    return value < limit, limit, value, ""


def _gap_noise(current: VersionFigures, healthy: HealthyLevels, metric: str) -> float:
    spread = healthy.spread.get(metric, 0.0)
    return math.hypot(_sd(current, metric), spread if math.isfinite(spread) else 0.0)


def _comparable(current: VersionFigures, healthy: HealthyLevels) -> bool:
    """Whether the structure family's healthy levels speak for a version of this size: they
    are drawn from the holdout pool, at most half of it per draw, so a small holdout gives
    draws smaller than the version; a figure such as the C2ST AUC is not comparable across
    sizes (with 20 rows a side its classifier cannot split at all and reads exactly 0.5)."""
    drawn = healthy.meta.get("structure_healthy_drawn_rows")
    return healthy.reliable and (drawn is None or drawn >= current.sample_rows)


def _above_level(
    metric: str,
    minimum: float,
    current: VersionFigures,
    healthy: HealthyLevels,
    sigmas: float,
    *,
    family: bool = True,
) -> Outcome:
    """``metric`` above the healthy level by ``minimum`` *and* ``sigmas`` noises (a gap).
    ``family``: a structure-family figure (levels from its own pool draws, :func:`_comparable`);
    a core figure's (``mmd``, ``correlation_difference``) levels are drawn at the version's size."""
    value, level = current.figures.get(metric), healthy.get(metric)
    comparable = _comparable(current, healthy) if family else healthy.reliable
    if value is None or level is None or not comparable:
        return NONE
    limit = level + max(minimum, sigmas * _gap_noise(current, healthy, metric))
    return value > limit, limit, value, ""


def _below_level(
    metric: str, share: float, current: VersionFigures, healthy: HealthyLevels, sigmas: float
) -> Outcome:
    """``metric`` below ``share`` of the healthy level *and* ``sigmas`` noises below it."""
    value, level = current.figures.get(metric), healthy.get(metric)
    if value is None or level is None or not _comparable(current, healthy):
        return NONE
    limit = min(share * level, level - sigmas * _gap_noise(current, healthy, metric))
    return value < limit, limit, value, ""


def _with_detail(outcome: Outcome, detail: str) -> Outcome:
    breached, limit, value, *_ = outcome
    return (breached, limit, value, detail if breached else "")


# -- pair dependence ----------------------------------------------------------------------------


def _either(tests: Sequence[tuple[str, Outcome]], detail: Mapping[str, str]) -> Outcome:
    """A check of several figures (sub-tests): breached when any is. Value, limit and figure are
    the breaching sub-test's farthest beyond its limit (relative to the limit), else the first
    judged one's. The detail names each breaching figure, in ``tests`` order (``detail[figure]``
    where given)."""
    judged = [(name, outcome) for name, outcome in tests if outcome[0] is not None]
    if not judged:
        return NONE

    def beyond(test: tuple[str, Outcome]) -> float:
        _, (_, limit, value, *_) = test
        if limit is None or value is None:
            return 0.0
        return abs(value - limit) / abs(limit) if limit else math.inf

    breaching = [test for test in judged if test[1][0]]
    name, (_, limit, value, *_) = max(breaching, key=beyond) if breaching else judged[0]
    parts = [
        detail.get(figure) or f"{figure} {out[2]:.4g} above its limit {out[1]:.4g}"
        for figure, out in breaching
    ]
    return bool(breaching), limit, value, "; ".join(parts), name


def _pair_detail(v: VersionFigures) -> str:
    return "worst columns: " + ", ".join(_worst_columns(v, "dependence_difference_max"))


def dependence_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The worst pair's dependence difference from the reference rose from the baseline's, or
    the mean absolute difference of the numeric correlation matrices (``correlation_difference``,
    SDMetrics' CorrelationSimilarity) did, by ``correlation_change`` and the noise."""
    sigmas = t.noise_sigmas
    return _either(
        [
            (
                "dependence_difference_max",
                _rise("dependence_difference_max", t.dependence_change, current, baseline, sigmas),
            ),
            (
                "correlation_difference",
                _rise("correlation_difference", t.correlation_change, current, baseline, sigmas),
            ),
        ],
        {"dependence_difference_max": _pair_detail(current)},
    )


def dependence_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The worst pair's dependence difference, or the correlation matrices' mean absolute
    difference, far above its real-vs-real level."""
    sigmas = t.noise_sigmas
    return _either(
        [
            (
                "dependence_difference_max",
                _above_level(
                    "dependence_difference_max", t.dependence_change, current, healthy, sigmas
                ),
            ),
            (
                "correlation_difference",
                _above_level(
                    "correlation_difference",
                    t.correlation_change,
                    current,
                    healthy,
                    sigmas,
                    family=False,
                ),
            ),
        ],
        {"dependence_difference_max": _pair_detail(current)},
    )


# -- conditional structure ----------------------------------------------------------------------


def _interaction_detail(v: VersionFigures) -> str:
    """The column the version-trained model predicts worst and the features whose importance
    changed most (``importance_change`` per feature, stored for the worst column's audit)."""
    worst = _worst_columns(v, "interaction_loss")
    if not worst:
        return ""
    changes = [
        (abs(values[IMPORTANCE_CHANGE]), name, values[IMPORTANCE_CHANGE])
        for name, values in v.per_feature.items()
        if math.isfinite(values.get(IMPORTANCE_CHANGE, math.nan))
    ]
    changes.sort(key=lambda x: (-x[0], x[1]))
    text = f"column {worst[0]}"
    if changes:
        named = ", ".join(f"{name} {change:+.2f}" for _, name, change in changes[:_NAMED])
        text += f"; importance changed: {named}"
    return text


def interaction_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """A column's excess error on real rows (version-trained over real-trained) rose."""
    outcome = _rise(
        "interaction_loss_max", t.interaction_loss_change, current, baseline, t.noise_sigmas
    )
    return _with_detail(outcome, _interaction_detail(current))


def interaction_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """A column's excess error far above the real-vs-real level."""
    outcome = _above_level(
        "interaction_loss_max", t.interaction_loss_change, current, healthy, t.noise_sigmas
    )
    return _with_detail(outcome, _interaction_detail(current))


# -- two-sample tests ---------------------------------------------------------------------------


def detectability_rise(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The version is told from real rows better than at the baseline: the detection AUC (C2ST)
    rose by ``detection_auc_rise``, or the squared MMD (Gretton et al. 2012) by ``mmd_rise``,
    each beyond the noise."""
    sigmas = t.noise_sigmas
    return _either(
        [
            (
                "detection_auc",
                _rise("detection_auc", t.detection_auc_rise, current, baseline, sigmas),
            ),
            ("mmd", _rise("mmd", t.mmd_rise, current, baseline, sigmas)),
        ],
        {},
    )


def detectability_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The detection AUC (about 0.5 real vs real) or the squared MMD (about 0) far above its
    real-vs-real level."""
    sigmas = t.noise_sigmas
    return _either(
        [
            (
                "detection_auc",
                _above_level("detection_auc", t.detection_auc_rise, current, healthy, sigmas),
            ),
            ("mmd", _above_level("mmd", t.mmd_rise, current, healthy, sigmas, family=False)),
        ],
        {},
    )


# -- category shares ----------------------------------------------------------------------------


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


def share_dispersion(past: Sequence[VersionFigures], reference_rows: int) -> dict[str, float]:
    """Per categorical column, how many times the modelled variance the anchor versions ``past``
    scatter by on the arcsine scale, pooled over the *other* columns' categories (see the
    module); 1 unless significant."""
    refit = 1 / (4 * reference_rows) if reference_rows > 0 else 0.0
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
        weights = [1 / (1 / (4 * rows + 2) + refit) for _, rows, _ in points]
        scales = [y for *_, y in points]
        centre = sum(w * y for w, y in zip(weights, scales, strict=True)) / sum(weights)
        statistic = sum(w * (y - centre) ** 2 for w, y in zip(weights, scales, strict=True))
        before = columns.get(column, (0.0, 0))
        columns[column] = (before[0] + statistic, before[1] + len(points) - 1)
    total = sum(x for x, _ in columns.values()), sum(df for _, df in columns.values())
    out = {}
    for column, (own, own_df) in columns.items():
        statistic, df = total[0] - own, total[1] - own_df
        estimate = statistic / df if df > 0 else 1.0
        significant = df > 0 and estimate > chi2.isf(DISPERSION_LEVEL, df) / df
        out[column] = estimate if significant else 1.0
    return out


def share_z(
    share: float, rows: int, anchor: ShareAnchor, reference_rows: int, dispersion: float = 1.0
) -> float:
    """z of a version's share of ``rows`` rows against ``anchor``, the modelled variance times
    ``dispersion`` (:func:`share_dispersion`; see the module)."""
    refit = 1 / (4 * reference_rows) if reference_rows > 0 else 0.0
    k = anchor.versions
    median = MEDIAN_VARIANCE[k - 1] if k <= len(MEDIAN_VARIANCE) else math.pi / 2
    own = 1 / (4 * rows + 2) + refit
    anchored = median * (1 / (4 * anchor.rows + 2) + refit) / k
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


def category_share_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Gap: a category's share against the reference's (``category_share_ratio_min``/``_max``
    with the exact binomial test of the measure: ``categories_off_share`` counts the categories
    whose Bonferroni-adjusted p is below 0.01)."""
    off = current.figures.get("categories_off_share")
    low = current.figures.get("category_share_ratio_min")
    high = current.figures.get("category_share_ratio_max")
    if off is None or low is None or high is None:
        return NONE
    if abs(math.log(max(low, 1e-9))) >= abs(math.log(max(high, 1e-9))):
        value, limit, name, beyond = low, t.category_share_low, "lowest", low < t.category_share_low
    else:
        value, limit, name = high, t.category_share_high, "highest"
        beyond = high > t.category_share_high
    breached = off > 0 and beyond
    worst = _worst_columns(current, "category_share_ratio_min", highest=False)
    detail = "lowest share ratios: " + ", ".join(worst) if breached else ""
    return breached, limit, value, detail, f"{name} category share / reference share"


# -- classes and the decision boundary ----------------------------------------------------------


def class_coverage_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The lowest per-class coverage fell from the baseline's (modes lost inside a class)."""
    outcome = _fall("class_coverage_min", t.class_coverage_share, current, baseline, t.noise_sigmas)
    label = _worst_columns(current, "class_coverage_min", highest=False)
    return _with_detail(outcome, "label columns: " + ", ".join(label) if label else "")


def class_coverage_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The lowest per-class coverage far below its real-vs-real level."""
    return _below_level(
        "class_coverage_min", t.class_coverage_share, current, healthy, t.noise_sigmas
    )


def boundary_coverage_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Coverage of the real rows near the target's decision boundary fell from the baseline's."""
    return _fall("boundary_coverage", t.boundary_share, current, baseline, t.noise_sigmas)


def boundary_coverage_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Coverage of the boundary rows far below its real-vs-real level."""
    return _below_level("boundary_coverage", t.boundary_share, current, healthy, t.noise_sigmas)
