"""Collapse checks over a generator's version history: which versions breach, and for how long.

Pure functions (figures in, verdicts out) shared by the exporter, which exports how many of the
latest versions in a row breach each check (Prometheus time is not version time, so a rule that
must hold "for two consecutive versions" needs this count), and by the reports, which show the
alerts the history would have fired.

Every limit is derived from the healthy real-vs-real level (a real holdout measured against the
reference) and the baseline (first measured version), never a bare constant, and it is widened by
the sampling noise of the figure: a share of ``n`` points has a binomial standard deviation of
``sqrt(p (1 - p) / n)`` (precision is a share of the M synthetic points; recall and coverage of the
N real points; Naeem et al. 2020, sec. 3-4). At N = M = 1000 and coverage 0.97 that is 0.005, the
same order as the 0.01 that coverage moves between healthy draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "CHECKS",
    "DECLINE_METRICS",
    "CheckResult",
    "CheckThresholds",
    "VersionFigures",
    "declining_versions",
    "evaluate_checks",
]

# Checks, each with the signal it watches. Bounded: these are Prometheus label values.
CHECKS: dict[str, str] = {
    "coverage_decline": "coverage below a share of the baseline's and of the healthy level",
    "recall_decline": "recall below a share of the baseline's while precision holds",
    "density_rise": "density far above its healthy level (samples crowd the modes)",
    "tail_thinning": "the mean tail frequency ratio far below 1 (tails vanish)",
    "tail_excess": "the largest tail frequency ratio far above 1 (invented extremes)",
    "region_uncovered": "a region of the real data no longer covered",
    "memorization": "authenticity down or too many samples closer than the holdout to the data",
}

# Shares whose version-to-version fall counts as a decline; (metric, rows it is a share of).
DECLINE_METRICS: dict[str, str] = {
    "precision": "sample",
    "recall": "reference",
    "coverage": "reference",
    "alpha_precision": "sample",
    "beta_recall": "reference",
    "authenticity": "sample",
}


@dataclass(frozen=True)
class CheckThresholds:
    """How far from healthy a figure must move before a version breaches (config: ``checks``)."""

    coverage_share: float = 0.9
    recall_share: float = 0.8
    precision_hold_share: float = 0.9
    density_factor: float = 1.5
    tail_low: float = 0.5
    tail_high: float = 2.0
    region_share: float = 0.25
    authenticity_share: float = 0.8
    dcr_close_share_factor: float = 2.0
    noise_sigmas: float = 3.0


@dataclass(frozen=True)
class VersionFigures:
    """One measured version: its figures against the reference and its row counts."""

    version: str
    figures: Mapping[str, float]
    reference_rows: int
    sample_rows: int


@dataclass(frozen=True)
class CheckResult:
    """One check over the history: the breach of every version and the latest streak."""

    check: str
    breached: tuple[bool | None, ...]  # per version; None when its figures are missing
    limit: float | None  # the latest version's limit, for dashboards and reports
    value: float | None  # the latest version's value

    @property
    def streak(self) -> int:
        """How many of the latest versions in a row breach."""
        count = 0
        for flag in reversed(self.breached):
            if not flag:
                break
            count += 1
        return count


def _noise(share: float, rows: int) -> float:
    """Binomial standard deviation of a share of ``rows`` points."""
    if rows <= 0 or not math.isfinite(share):
        return 0.0
    p = min(max(share, 0.0), 1.0)
    return math.sqrt(p * (1.0 - p) / rows)


def _floor_limit(
    baseline: float | None, healthy: float | None, share: float, noise: float, sigmas: float
) -> float | None:
    """The level a maximised share must stay above: ``share`` of the lower anchor, minus noise."""
    anchors = [a for a in (baseline, healthy) if a is not None and math.isfinite(a)]
    if not anchors:
        return None
    return share * min(anchors) - sigmas * noise


def _breach(
    check: str,
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: Mapping[str, float],
    t: CheckThresholds,
) -> tuple[bool | None, float | None, float | None]:
    """(breached, limit, value) of one check for one version."""
    f, b = current.figures, baseline.figures
    n, m = current.reference_rows, current.sample_rows
    if check in ("coverage_decline", "recall_decline"):
        metric = "coverage" if check == "coverage_decline" else "recall"
        share = t.coverage_share if metric == "coverage" else t.recall_share
        value = f.get(metric)
        if value is None:
            return None, None, None
        limit = _floor_limit(
            b.get(metric), healthy.get(metric), share, _noise(value, n), t.noise_sigmas
        )
        if limit is None:
            return None, None, value
        breached = value < limit
        if metric == "recall":
            precision, anchor = f.get("precision"), b.get("precision")
            if precision is None or anchor is None:
                return None, limit, value
            holds = precision >= t.precision_hold_share * anchor - t.noise_sigmas * _noise(
                precision, m
            )
            breached = breached and holds
        return breached, limit, value
    if check == "density_rise":
        value, anchor = f.get("density"), healthy.get("density", b.get("density"))
        if value is None or anchor is None:
            return None, None, value
        limit = t.density_factor * anchor
        return value > limit, limit, value
    if check == "tail_thinning":
        # The mean ratio over features and both tails: the minimum of many per-tail ratios is
        # too noisy (at M = 1000 a 1 % tail holds about 10 samples, a ratio step of 0.1).
        value = f.get("tail_frequency_ratio")
        if value is None:
            return None, None, None
        limit = t.tail_low * min(1.0, healthy.get("tail_frequency_ratio", 1.0))
        return value < limit, limit, value
    if check == "tail_excess":
        value = f.get("tail_frequency_ratio_max")
        if value is None:
            return None, None, None
        limit = t.tail_high * max(1.0, healthy.get("tail_frequency_ratio_max", 1.0))
        return value > limit, limit, value
    if check == "region_uncovered":
        value = f.get("worst_region_coverage")
        if value is None:
            return None, None, None
        anchors = [a for a in (healthy.get("worst_region_coverage"),) if a is not None]
        anchor = anchors[0] if anchors else b.get("worst_region_coverage")
        if anchor is None:
            return None, None, value
        limit = t.region_share * anchor
        return value < limit, limit, value
    if check == "memorization":
        authenticity, close = f.get("authenticity"), f.get("dcr_close_share")
        breaches: list[bool] = []
        limit = None
        if authenticity is not None:
            limit = _floor_limit(
                b.get("authenticity"),
                healthy.get("authenticity"),
                t.authenticity_share,
                _noise(authenticity, m),
                t.noise_sigmas,
            )
            if limit is not None:
                breaches.append(authenticity < limit)
        if close is not None:
            # The holdout's own share below its 5th percentile is 0.05 by construction.
            anchor = max(healthy.get("dcr_close_share", 0.05), 0.05)
            breaches.append(
                close > t.dcr_close_share_factor * anchor + t.noise_sigmas * _noise(anchor, m)
            )
        if not breaches:
            return None, None, authenticity
        return any(breaches), limit, authenticity
    raise KeyError(f"unknown check {check!r}; known: {sorted(CHECKS)}")


def evaluate_checks(
    history: Sequence[VersionFigures],
    healthy: Mapping[str, float],
    thresholds: CheckThresholds | None = None,
) -> list[CheckResult]:
    """Every check over ``history`` (oldest first; the first entry is the baseline)."""
    t = thresholds or CheckThresholds()
    results = []
    for check in CHECKS:
        if not history:
            results.append(CheckResult(check, (), None, None))
            continue
        flags, limit, value = [], None, None
        for current in history:
            flag, limit, value = _breach(check, current, history[0], healthy, t)
            flags.append(flag)
        results.append(CheckResult(check, tuple(flags), limit, value))
    return results


def declining_versions(
    history: Sequence[VersionFigures], metric: str, *, noise_sigmas: float = 1.0
) -> int:
    """How many of the latest version-to-version steps in a row made ``metric`` worse.

    A step counts when the fall exceeds ``noise_sigmas`` standard deviations of the difference of
    two independent shares (``sqrt(2)`` times the binomial noise), so that noise alone rarely
    builds a streak.
    """
    if metric not in DECLINE_METRICS:
        raise KeyError(f"{metric!r} is not one of {sorted(DECLINE_METRICS)}")
    count = 0
    for earlier, later in zip(reversed(history[:-1]), reversed(history[1:]), strict=True):
        before, after = earlier.figures.get(metric), later.figures.get(metric)
        if before is None or after is None:
            break
        rows = later.reference_rows if DECLINE_METRICS[metric] == "reference" else later.sample_rows
        margin = noise_sigmas * math.sqrt(2.0) * _noise(before, rows)
        if after < before - margin:
            count += 1
        else:
            break
    return count
