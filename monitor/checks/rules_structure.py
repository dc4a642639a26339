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
Per category the two-proportion Wald z-test (pooled share p;
Newcombe 1998, Statistics in Medicine 17: 873-890) of the version's share q of m rows against the
anchor a, each side carrying the refit variance of a generator fitted on N reference rows:
z = (q - a) / sqrt(p (1 - p) (1 / m + 1 / N + c (1 / m0 + 1 / N) / k)), with m0 the anchor
versions' mean rows and c = pi / 2 for a median of k >= 3 versions (the asymptotic variance of a
normal median over that of the mean; 1 for k <= 2). For k = 1 this is the two-proportion test with
refit variance ``2 / N`` of the other change checks. Categories with at least
``MIN_EXPECTED_COUNT`` rows expected at both sizes are tested; Bonferroni (Dunn 1961) over the
tested categories and both directions. A category breaches when its z passes that limit *and*
its share ratio is below ``category_share_low`` or above ``category_share_high``. A class of 1.4 %
at a tenth of its share in 2,000 rows (28 expected, 3 seen) gives z = 4.5 against a baseline
without refit noise (a reference far larger than the versions) but 3.1 with the refit noise of a
2,000-row reference, below the limit (3.8 with ten categories tested): the version's own refit
noise sets a floor no anchor removes. With four anchor versions a tenfold thinning passes the
limit from about 31 rows expected in 1,000-row versions of a 2,000-row reference, 41 in 2,000-row
versions, 25 in 2,000-row versions of a 10,000-row reference (benchmarks/README.md).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from collectors.figure_keys import CATEGORY_SHARE_PREFIX, IMPORTANCE_CHANGE
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
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
]

# Versions whose median category shares anchor category_share_shift (see the module).
BASELINE_PERIOD = 4
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
    metric: str, minimum: float, current: VersionFigures, healthy: HealthyLevels, sigmas: float
) -> Outcome:
    """``metric`` above the healthy level by ``minimum`` *and* ``sigmas`` noises (a gap)."""
    value, level = current.figures.get(metric), healthy.get(metric)
    if value is None or level is None or not _comparable(current, healthy):
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


def _pair_detail(v: VersionFigures) -> str:
    return "worst columns: " + ", ".join(_worst_columns(v, "dependence_difference_max"))


def dependence_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The worst pair's dependence difference from the reference rose from the baseline's."""
    outcome = _rise(
        "dependence_difference_max", t.dependence_change, current, baseline, t.noise_sigmas
    )
    return _with_detail(outcome, _pair_detail(current))


def dependence_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The worst pair's dependence difference far above the real-vs-real level."""
    outcome = _above_level(
        "dependence_difference_max", t.dependence_change, current, healthy, t.noise_sigmas
    )
    return _with_detail(outcome, _pair_detail(current))


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


# -- two-sample classifier ----------------------------------------------------------------------


def detectability_rise(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The detection AUC (real vs version) rose from the baseline's."""
    return _rise("detection_auc", t.detection_auc_rise, current, baseline, t.noise_sigmas)


def detectability_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The detection AUC far above its real-vs-real level (about 0.5)."""
    return _above_level("detection_auc", t.detection_auc_rise, current, healthy, t.noise_sigmas)


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


def _anchors(
    past: Sequence[VersionFigures],
) -> dict[tuple[str, str], tuple[float, int, float]]:
    """(column, category) -> (median share over ``past``, versions holding it, mean rows)."""
    shares: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for v in past:
        for key, share in category_shares_of(v).items():
            shares.setdefault(key, []).append((share, v.sample_rows))
    return {
        key: (
            statistics.median(s for s, _ in values),
            len(values),
            statistics.fmean(rows for _, rows in values),
        )
        for key, values in shares.items()
    }


def _shares(
    now: Mapping[tuple[str, str], float],
    anchors: Mapping[tuple[str, str], tuple[float, int, float]],
    m: int,
    n: int,
    t: CheckThresholds,
) -> Outcome:
    """Each category's share ``now`` (of ``m`` rows) against its anchor (see the module)."""
    tested: list[tuple[float, str, float, float, float]] = []  # (ratio, name, |z|, was, is)
    refit = 1.0 / n if n > 0 else 0.0
    for key in sorted(anchors):
        anchor, versions, m0 = anchors[key]
        if key not in now:  # not tested in this version (too few rows expected at its size)
            continue
        share = now[key]
        if anchor * m < MIN_EXPECTED_COUNT or anchor * m0 < MIN_EXPECTED_COUNT:
            continue
        p = (share * m + anchor * m0 * versions) / (m + m0 * versions)
        # The median of k >= 3 versions has about pi / 2 times the variance of their mean.
        median = math.pi / 2 if versions >= 3 else 1.0
        variance = p * (1 - p) * (1 / m + refit + median * (1 / m0 + refit) / versions)
        z = (share - anchor) / math.sqrt(variance) if variance > 0 else 0.0
        tested.append((share / anchor, f"{key[0]}={key[1]}", abs(z), anchor, share))
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
    return _shares(now, anchors, current.sample_rows, current.reference_rows, t)


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
