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
from monitor.checks.registry import CHECK_KINDS, RULES, WATCHES, Kind
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


# What a breach of each kind of check is, as a finding (``tailwatch check --fail-on``, the
# alerts' ``finding`` label): corpora add "leakage" and "budget".
FINDING_OF_KIND: dict[str, str] = {
    "collapse": "collapse",
    "privacy": "privacy",
    "gap": "fidelity-gap",
}


@dataclass(frozen=True)
class CheckResult:
    """One check over the history: the breach of every version and the latest streak.

    ``value`` and ``limit`` are the figure that decided the latest version (``figure`` names it:
    for a check of several sub-tests, the one that breached, e.g. memorization's
    ``dcr_close_share`` rather than its ``authenticity``); ``versions`` the versions' names,
    aligned with ``breached``.
    """

    check: str
    breached: tuple[bool | None, ...]  # per version; None when its figures are missing
    limit: float | None  # the latest version's limit, for dashboards and reports
    value: float | None  # the latest version's value
    detail: str = ""  # what breached at the latest version (feature, category), for people
    versions: tuple[str, ...] = ()
    figure: str = ""  # which figure value and limit are; "" for the check's own (its watches)

    @property
    def kind(self) -> Kind:
        return CHECK_KINDS[self.check]

    @property
    def finding(self) -> str:
        """collapse, privacy or fidelity-gap."""
        return FINDING_OF_KIND[self.kind]

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

    @property
    def constant(self) -> bool:
        """True when every version since the first breaches: a finding, not a change."""
        return bool(self.breached) and self.streak == len(self.breached)

    def _name(self, index: int) -> str:
        return self.versions[index] if index < len(self.versions) else f"version {index + 1}"

    @property
    def since(self) -> str | None:
        """The version the latest streak began at (None without one)."""
        streak = self.streak
        return self._name(len(self.breached) - streak) if streak else None

    def resolved_at(self, persistence: int) -> str | None:
        """The version that ended the latest run of ``persistence`` or more breaching versions
        (the alert that fired on it resolved there), when the latest version does not breach."""
        if not self.breached or self.breached[-1] or persistence < 1:
            return None
        run = 0
        for index, flag in enumerate(self.breached):
            if flag:
                run += 1
                continue
            if run >= persistence and not any(self.breached[index:]):
                return self._name(index)
            run = 0
        return None

    @property
    def reading(self) -> str:
        """What the value is: the sub-test's figure or the check's own (its record's watches)."""
        return self.figure or WATCHES.get(self.check, self.check)


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
    names = tuple(v.version for v in history)
    results = []
    for check in CHECK_KINDS:
        if not history:
            results.append(CheckResult(check, (), None, None))
            continue
        flags: list[bool | None] = []
        outcome: tuple = ()
        for current, baseline in zip(history, baselines, strict=True):
            outcome = _outcome(check, current, baseline, levels, t)
            flags.append(outcome[0])
        _, limit, value, detail, *figure = outcome
        results.append(
            CheckResult(
                check, tuple(flags), limit, value, detail, names, figure[0] if figure else ""
            )
        )
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


Level = Literal["collapse suspected", "watch", "healthy", "no data"]


@dataclass(frozen=True)
class GeneratorVerdict:
    """A generator's verdict from its check results, one finding per kind.

    ``level`` (collapse): "collapse suspected" when a collapse check has breached for at least
    ``persistence`` versions in a row; "watch" when one breached fewer; "healthy" otherwise.
    Privacy checks (memorization, membership exposure) and fidelity gaps never raise it: they
    are findings of their own (``privacy``, ``gaps``), labelled "privacy risk" and "fidelity gap"
    beside the level (:attr:`labels`). ``resolved``: checks whose breach paged (``persistence``
    versions in a row) and has since cleared, with the version that cleared it.
    """

    level: Level
    collapse: tuple[CheckResult, ...]
    watch: tuple[CheckResult, ...]
    gaps: tuple[CheckResult, ...]
    privacy: tuple[CheckResult, ...] = ()
    resolved: tuple[tuple[CheckResult, str], ...] = ()
    persistence: int = 2

    @property
    def privacy_level(self) -> str:
        """ "privacy risk" (a privacy check held ``persistence`` versions, or since the first
        version), "privacy watch" (breached by the latest version only) or "none"."""
        if any(r.streak >= self.persistence or r.constant for r in self.privacy):
            return "privacy risk"
        return "privacy watch" if self.privacy else "none"

    @property
    def labels(self) -> tuple[str, ...]:
        """The level and each other kind's finding: ("collapse suspected", "privacy risk",
        "fidelity gap"), ("healthy", "privacy risk"), ("healthy",)."""
        out: list[str] = [self.level]
        if self.privacy_level != "none":
            out.append(self.privacy_level)
        if self.gaps:
            out.append("fidelity gap")
        return tuple(out)

    @property
    def label(self) -> str:
        """:attr:`labels` as one text: "healthy; privacy risk"."""
        return "; ".join(self.labels)

    @property
    def findings(self) -> frozenset[str]:
        """The findings the latest version carries (``--fail-on`` names): collapse (a collapse
        check breached), privacy, fidelity-gap."""
        found = {r.finding for r in (*self.collapse, *self.watch, *self.privacy, *self.gaps)}
        return frozenset(found)


def generator_verdict(
    results: Sequence[CheckResult], thresholds: CheckThresholds | None = None
) -> GeneratorVerdict:
    """The verdict the rules would reach: collapse checks held ``persistence`` versions page;
    privacy and gap findings are reported beside the level, never in it."""
    t = thresholds or CheckThresholds()
    if not results or not any(r.breached for r in results):
        return GeneratorVerdict("no data", (), (), (), persistence=t.persistence)
    changes = [r for r in results if r.kind == "collapse" and r.streak > 0]
    collapse = tuple(r for r in changes if r.streak >= t.persistence)
    watch = tuple(r for r in changes if r.streak < t.persistence)
    privacy = tuple(r for r in results if r.kind == "privacy" and r.streak > 0)
    gaps = tuple(r for r in results if r.kind == "gap" and r.streak > 0)
    resolved = tuple(
        (r, at)
        for r in results
        if r.kind != "gap" and (at := r.resolved_at(t.persistence)) is not None
    )
    level: Level = "collapse suspected" if collapse else "watch" if watch else "healthy"
    return GeneratorVerdict(level, collapse, watch, gaps, privacy, resolved, t.persistence)


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
