"""Gap rules: a version against the healthy real-vs-real level (fidelity findings)."""

from __future__ import annotations

import math

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _bonferroni,
    _sd,
    two_proportion_z,
)
from monitor.checks.outcome import Outcome
from monitor.checks.rules_tails import _tail_sides, design_effect_of, effective_rows
from monitor.checks.thresholds import CheckThresholds


def _share_gap(
    metric: str, share: float, current: VersionFigures, healthy: HealthyLevels, sigmas: float
) -> Outcome:
    value, level = current.figures.get(metric), healthy.get(metric)
    if value is None or level is None or not healthy.reliable:
        return None, None, value, ""
    if metric in ("coverage", "recall") and healthy.repeated_rows:
        return None, None, value, "healthy level from repeated holdout rows: not comparable"
    noise = math.hypot(_sd(current, metric), healthy.spread.get(metric, 0.0))
    limit = min(share * level, level - sigmas * noise)
    return value < limit, limit, value, ""


def _density_gap(current: VersionFigures, healthy: HealthyLevels, t: CheckThresholds) -> Outcome:
    value, level = current.figures.get("density"), healthy.get("density")
    if value is None or level is None or not healthy.reliable:
        return None, None, value, ""
    noise = math.hypot(_sd(current, "density"), healthy.spread.get("density", 0.0))
    limit = max(t.density_factor * level, level + t.noise_sigmas * noise)
    return value > limit, limit, value, ""


def _tail_gap(current: VersionFigures, t: CheckThresholds) -> Outcome:
    """Per feature and side: the tail share against the real share beyond the same threshold.

    The real share is itself a share of the N reference rows, so the test is the two-proportion
    z-test of the version's M rows against the reference's N (a one-sample test would take the
    reference's own counting noise, about 1 / sqrt(N q), for a gap). A sequence generator's
    rows (whole entities) count as effective rows under the side's design effect, the
    reference's and the refit's too (:func:`monitor.checks.rules_tails.effective_rows`).
    """
    m, n = current.sample_rows, current.reference_rows
    tested = []
    for (feature, side), (share, expected) in _tail_sides(current).items():
        if expected * m < MIN_EXPECTED_COUNT or m <= 0 or n <= 0:
            continue
        deff = design_effect_of(current, (feature, side))
        m_eff, n_eff = effective_rows(m, deff), effective_rows(n, deff)
        z = two_proportion_z(share, m_eff, expected, n_eff, deff / n)
        tested.append((share / expected, f"{feature} ({side} tail)", abs(z)))
    if not tested:
        return None, None, None, ""
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))
    breaches = [x for x in tested if (x[0] < t.tail_low or x[0] > t.tail_high) and x[2] > z_limit]
    worst = max(breaches or tested, key=lambda x: abs(math.log(max(x[0], 1e-9))))
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches[:5])
    limit = t.tail_low if worst[0] < 1 else t.tail_high
    return bool(breaches), limit, worst[0], detail, f"{worst[1]} share / real share"


def _category_gap(current: VersionFigures) -> Outcome:
    value = current.figures.get("categories_lost")
    if value is None:
        return None, None, None, ""
    lost = [f"{feature} ({int(v['categories_lost'])})" for feature, v in current.per_feature.items()
            if v.get("categories_lost", 0) > 0]  # fmt: skip
    return value > 0, 0.0, value, ", ".join(lost)


def precision_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_gap("precision", t.precision_share, current, healthy, t.noise_sigmas)


def recall_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_gap("recall", t.recall_share, current, healthy, t.noise_sigmas)


def coverage_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_gap("coverage", t.coverage_share, current, healthy, t.noise_sigmas)


def density_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _density_gap(current, healthy, t)


def tail_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _tail_gap(current, t)


def category_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _category_gap(current)
