"""Verdicts: every registered check over a version history, and the level they reach.

:func:`evaluate_checks` runs each check of the registry (:mod:`monitor.checks.registry`) on every
version against its baseline (:func:`baseline_of`); :func:`generator_verdict` turns the results
into the level the alert rules would reach.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    DECLINE_METRICS,
    VersionFigures,
    _change_sd,
    observed_noise,
)
from monitor.checks.outcome import Outcome
from monitor.checks.registry import CHECK_KINDS, RULES, Kind
from monitor.checks.thresholds import CheckThresholds

__all__ = [
    "CheckResult",
    "GeneratorVerdict",
    "baseline_members",
    "baseline_of",
    "declining_versions",
    "evaluate_checks",
    "generator_verdict",
]


@dataclass(frozen=True)
class CheckResult:
    """One check over the history: the breach of every version and the latest streak."""

    check: str
    breached: tuple[bool | None, ...]  # per version; None when its figures are missing
    limit: float | None  # the latest version's limit, for dashboards and reports
    value: float | None  # the latest version's value
    detail: str = ""  # what breached at the latest version (feature, category), for people

    @property
    def kind(self) -> Kind:
        return CHECK_KINDS[self.check]

    @property
    def streak(self) -> int:
        """How many of the latest versions in a row breach."""
        count = 0
        for flag in reversed(self.breached):
            if not flag:
                break
            count += 1
        return count

    @property
    def ever(self) -> bool:
        """True when the first version already breached (a constant gap, for gap findings)."""
        return bool(self.breached) and bool(self.breached[0])


def _outcome(
    check: str,
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    t: CheckThresholds,
) -> Outcome:
    if check not in RULES:
        raise KeyError(f"unknown check {check!r}; known: {sorted(CHECK_KINDS)}")
    return RULES[check](current, baseline, healthy, t)


def evaluate_checks(
    history: Sequence[VersionFigures],
    healthy: Mapping[str, float],
    thresholds: CheckThresholds | None = None,
) -> list[CheckResult]:
    """Every change check and gap finding over ``history`` (oldest first; [0] is the baseline).

    ``healthy`` is the latest healthy levels (a :class:`HealthyLevels` carries their spread and
    reliability; a plain mapping is taken as reliable, without spread).
    """
    t = thresholds or CheckThresholds()
    levels = healthy if isinstance(healthy, HealthyLevels) else HealthyLevels(healthy)
    baselines = [baseline_of(history, i, t.baseline_versions) for i in range(len(history))]
    history = [replace(v, observed=observed_noise(history[:i])) for i, v in enumerate(history)]
    results = []
    for check in CHECK_KINDS:
        if not history:
            results.append(CheckResult(check, (), None, None))
            continue
        flags: list[bool | None] = []
        limit = value = None
        detail = ""
        for current, baseline in zip(history, baselines, strict=True):
            flag, limit, value, detail = _outcome(check, current, baseline, levels, t)
            flags.append(flag)
        results.append(CheckResult(check, tuple(flags), limit, value, detail))
    return results


def baseline_of(history: Sequence[VersionFigures], index: int, window: int) -> VersionFigures:
    """The baseline version ``history[index]`` is compared with.

    The median, figure by figure (and per feature), of the first ``window`` versions before it
    (the first version alone for the second, the first two for the third, ...): one healthy
    version can be a lucky draw of a noisy refit, and every later version would then read as a
    decline from it (a Phase I baseline of several samples, as control charts use; Montgomery,
    Introduction to Statistical Quality Control, ch. 7). Its noise and row counts are the first
    version's. The first version is its own baseline.
    """
    first = history[0]
    members = baseline_members(history, index, window)
    if len(members) == 1:
        return first
    features = {name for v in members for name in v.per_feature}
    return VersionFigures(
        version=first.version,
        figures=_median_figures([v.figures for v in members]),
        reference_rows=first.reference_rows,
        sample_rows=first.sample_rows,
        per_feature={
            name: _median_figures([v.per_feature.get(name, {}) for v in members])
            for name in features
        },
        spread=first.spread,
    )


def baseline_members(
    history: Sequence[VersionFigures], index: int, window: int
) -> Sequence[VersionFigures]:
    """The versions :func:`baseline_of` takes the median of: the first ``window`` before
    ``history[index]`` (the first version alone for the first two)."""
    return history[: max(1, min(index, window))]


def _median_figures(figures: Sequence[Mapping[str, float]]) -> dict[str, float]:
    names = {name for f in figures for name in f}
    out = {}
    for name in names:
        values = sorted(f[name] for f in figures if name in f and math.isfinite(f[name]))
        if values:
            middle = len(values) // 2
            out[name] = (
                values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
            )
    return out


# -- verdicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorVerdict:
    """A generator's verdict from its check results.

    ``level``: "collapse suspected" when a change check (or memorization) has breached for at
    least ``persistence`` versions in a row; "watch" when one breached the latest version only;
    "healthy" otherwise, fidelity gaps listed in ``gaps`` (they never raise the level).
    """

    level: Literal["collapse suspected", "watch", "healthy", "no data"]
    collapse: tuple[CheckResult, ...]
    watch: tuple[CheckResult, ...]
    gaps: tuple[CheckResult, ...]


def generator_verdict(
    results: Sequence[CheckResult], thresholds: CheckThresholds | None = None
) -> GeneratorVerdict:
    """The verdict the rules would reach: change checks held ``persistence`` versions page."""
    t = thresholds or CheckThresholds()
    if not results or not any(r.breached for r in results):
        return GeneratorVerdict("no data", (), (), ())
    paging = [r for r in results if r.kind != "gap" and r.streak > 0]
    collapse = tuple(r for r in paging if r.streak >= t.persistence)
    watch = tuple(r for r in paging if r.streak < t.persistence)
    gaps = tuple(r for r in results if r.kind == "gap" and r.streak > 0)
    level = "collapse suspected" if collapse else "watch" if watch else "healthy"
    return GeneratorVerdict(level, collapse, watch, gaps)


def declining_versions(
    history: Sequence[VersionFigures], metric: str, *, noise_sigmas: float = 1.0
) -> int:
    """How many of the latest version-to-version steps in a row made ``metric`` worse.

    A step counts when the fall exceeds ``noise_sigmas`` standard deviations of the difference of
    the two versions' figures (each version's noise: the healthy draws' spread or the binomial
    noise, the larger), so that noise alone rarely builds a streak.
    """
    if metric not in DECLINE_METRICS:
        raise KeyError(f"{metric!r} is not one of {sorted(DECLINE_METRICS)}")
    count = 0
    for earlier, later in zip(reversed(history[:-1]), reversed(history[1:]), strict=True):
        before, after = earlier.figures.get(metric), later.figures.get(metric)
        if before is None or after is None:
            break
        margin = noise_sigmas * _change_sd(earlier, later, metric)
        if after < before - margin:
            count += 1
        else:
            break
    return count
