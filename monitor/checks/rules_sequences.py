"""Sequence rules (issue 28): the time structure of a sequence generator's versions against its
baseline version's, beyond the noise of real holdout entities at the version's entity count.

Every figure read here is a distance from the real reference (:mod:`collectors.sequences`:
Kolmogorov-Smirnov D of lengths and gaps, Smirnov 1948 eq. 1; within-sequence autocorrelation
difference, Box & Jenkins 1976 eq. 2.1.12; transition-matrix total variation, Levin, Peres &
Wilmer 2009 eq. 4.1; hour/weekday rhythm total variation; the one-step-ahead forecast error ratio
of Yoon et al. 2019, sec. 5), so a break is a *rise*. A sub-test breaches when the version's figure
exceeds the anchor by the check's absolute change *and* by ``noise_sigmas`` change noises
(:func:`monitor.checks.noise._change_sd`: the healthy draws' spread, widened by the refit noise and
the history's dispersion). The anchor is the baseline's figure, raised to the healthy real-vs-real
level where that is reliable: a baseline closer to the reference than real entities are (a copy
of the reference) would make every honest later version read as a break (DETECTION-NOTES).
A check with several sub-tests names the one that decided (the largest excess over its limit).
"""

from __future__ import annotations

import math

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import VersionFigures, _change_sd
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = [
    "FORECAST_FIGURE",
    "LENGTH_FIGURES",
    "RHYTHM_FIGURES",
    "TEMPORAL_FIGURES",
    "forecast_utility_decline",
    "rhythm_loss",
    "sequence_length_shift",
    "temporal_structure_loss",
]

# figure -> what it is, for the detail line
TEMPORAL_FIGURES = {
    "autocorr_diff_max": "autocorrelation by lag",
    "cross_lag_diff_max": "cross-lag correlation",
    "transition_tv_max": "state transitions",
}
LENGTH_FIGURES = {"sequence_length_ks": "sequence lengths", "gap_ks": "gaps between events"}
RHYTHM_FIGURES = {"hour_tv": "hour-of-day rhythm", "weekday_tv": "day-of-week rhythm"}
FORECAST_FIGURE = "predictive_mae_ratio"


def _anchor(metric: str, anchor: float, healthy: HealthyLevels | None) -> float:
    """The baseline's distance, raised to the healthy real-vs-real level (when reliable)."""
    if healthy is None or not healthy.reliable:
        return anchor
    level = healthy.get(metric)
    if level is None or not math.isfinite(level):
        return anchor
    return max(anchor, level)


def _rise(
    metric: str,
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    sigmas: float,
    change: float,
    factor: float = 1.0,
) -> tuple[float, float, float] | None:
    """(value, limit, value - limit) of a distance ``metric``, or None where unmeasured: the
    limit is the anchor times ``factor`` and plus ``change``, and plus ``sigmas`` change noises,
    whichever is highest."""
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None or not (math.isfinite(value) and math.isfinite(anchor)):
        return None
    anchor = _anchor(metric, anchor, healthy)
    noise = _change_sd(current, baseline, metric)
    limit = max(factor * anchor, anchor + change, anchor + sigmas * noise)
    return value, limit, value - limit


def _worst(
    figures: dict[str, str],
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    sigmas: float,
    change: float,
    factor: float = 1.0,
) -> Outcome:
    """The sub-test with the largest excess over its limit decides (its figure named)."""
    tested: list[tuple[float, str, float, float]] = []
    for metric in figures:
        rise = _rise(metric, current, baseline, healthy, sigmas, change, factor)
        if rise is not None:
            value, limit, excess = rise
            tested.append((excess, metric, value, limit))
    if not tested:
        return NONE
    excess, metric, value, limit = max(tested)
    breached = sorted((t for t in tested if t[0] > 0), reverse=True)
    detail = ", ".join(
        f"{figures[m]} {baseline.figures[m]:.3f} -> {v:.3f} (limit {lim:.3f})"
        for _, m, v, lim in breached
    )
    return excess > 0, limit, value, detail, metric


def temporal_structure_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Autocorrelation by lag, cross-lag correlation or state transitions moved away from the
    reference by ``temporal_change`` more than the baseline's (events shuffled within their
    sequences keep every marginal and lose all three)."""
    return _worst(TEMPORAL_FIGURES, current, baseline, healthy, t.noise_sigmas, t.temporal_change)


def sequence_length_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """The distribution of sequence lengths or of the gaps between events (KS D against the
    reference) moved by ``length_change`` more than the baseline's (sequences cut short, gaps
    regularised)."""
    return _worst(LENGTH_FIGURES, current, baseline, healthy, t.noise_sigmas, t.length_change)


def rhythm_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Hour-of-day or day-of-week shares (total variation from the reference's) moved by
    ``rhythm_change`` more than the baseline's (one rhythm for all, or none)."""
    return _worst(RHYTHM_FIGURES, current, baseline, healthy, t.noise_sigmas, t.rhythm_change)


def forecast_utility_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """A one-step-ahead model trained on the version forecasts real holdout sequences worse:
    its error over the same model trained on real (TSTR/TRTR, Yoon et al. 2019 sec. 5) above
    ``forecast_factor`` times the baseline's and beyond the noise."""
    figures = {FORECAST_FIGURE: "forecast error / real-trained error"}
    return _worst(figures, current, baseline, healthy, t.noise_sigmas, 0.0, t.forecast_factor)
