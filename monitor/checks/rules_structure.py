"""Structure rules (issue 23): the joint and conditional structure a version keeps or breaks while
every marginal holds. Change rules compare a version with its baseline (collapse checks), gap rules
with the healthy real-vs-real level at the version's size (fidelity findings).

The figures are :data:`collectors.metrics.structure.specs.STRUCTURE_METRICS`. Noise, as for the
other change checks (:mod:`monitor.checks.noise`): each version's healthy spread (the real holdout
draws' standard deviation at the version's size), widened by the refit noise and, where the
generator's own history scatters significantly more, by that dispersion; a change must exceed
``noise_sigmas`` times that noise *and* a minimum size (a threshold of each check), so a large
sample does not page on a change nobody would act on.

Category shares against the baseline versions (``category_share_shift``): in
:mod:`monitor.checks.rules_category_shares` (Anscombe's arcsine scale, a Phase I anchor, the
generator's own refit scatter), re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from collectors.figure_keys import CATEGORY_SHARE_PREFIX, IMPORTANCE_CHANGE
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import VersionFigures, _change_sd, _sd
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.rules_category_shares import (
    BASELINE_PERIOD,
    MEDIAN_VARIANCE,
    ShareAnchor,
    category_share_shift,
    category_shares_of,
    share_dispersion,
    share_scale,
    share_z,
)
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
