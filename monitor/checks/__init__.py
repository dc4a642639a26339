"""Collapse checks, privacy checks and fidelity findings over a generator's version history.

Pure functions (figures in, verdicts out) shared by the exporter, which exports how many of the
latest versions in a row breach each check (Prometheus time is not version time, so a rule that
must hold "for two consecutive versions" needs this count), by ``status`` and by the reports.

Three kinds of findings, kept apart because they call for different responses:

* **Change** (``collapse`` checks): a version got worse than the generator's own baseline (its
  first measured version) by more than an effect size (a share or factor) *and* more than the
  version-to-version noise of a healthy generator. Collapse is a generator drifting away from
  what it was (Shumailov et al. 2024, Nature; Alemohammad et al. 2023): these page.
* **Privacy** (``memorization``, ``membership_exposure``): copied or exposed training rows,
  judged against the healthy level from the first version on. They page, as privacy, and never
  make the verdict "collapse suspected" ("privacy risk" beside it).
* **Gap** (``gap`` findings): a version far from the healthy real-vs-real level. A gap that was
  there from the first version is a fidelity defect of the generator (it always blurred, always
  invented out-of-range values), not a collapse: a ticket, never a page.

Noise is measured, not assumed: the healthy level's spread over real holdout draws, the binomial
noise of a share and the dispersion a generator's own history shows (:mod:`~monitor.checks.noise`
describes the model).
Per-feature tails and categories are tested with two-proportion z-tests, Bonferroni-corrected
over the features tested, and must also move by the configured factor; a tail side is tested only
where the reference holds ``MIN_EXPECTED_COUNT`` rows beyond its threshold, a rare-category mass
only where one of the two versions holds that many rare rows.

The package, by role: :mod:`~monitor.checks.registry` (one record per check, and every list of
checks derived from it), :mod:`~monitor.checks.records` (the built-in records),
:mod:`~monitor.checks.thresholds` (each threshold declared once), :mod:`~monitor.checks.noise`
(the noise model), ``rules_*`` (the rules, by kind), :mod:`~monitor.checks.verdict` (every check
over a history, and the level). Every name below is importable from ``monitor.checks``.
"""

from __future__ import annotations

from monitor.checks import records as _records  # noqa: F401  (registers the built-in checks)
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    DECLINE_METRICS,
    MAD_TO_SD,
    MIN_EXPECTED_COUNT,
    ObservedNoise,
    VersionFigures,
    dispersion_critical,
    observed_noise,
    two_proportion_z,
)
from monitor.checks.registry import (
    CHECK_KINDS,
    CHECKS,
    DESCRIPTIONS,
    GAPS,
    RULES,
    WATCHES,
    Check,
    Kind,
    on_change,
    record,
    records,
    register,
    registered,
    unregister,
)
from monitor.checks.thresholds import CheckThresholds, Threshold, threshold_table
from monitor.checks.verdict import (
    FINDING_OF_KIND,
    CheckResult,
    GeneratorVerdict,
    baseline_members,
    baseline_of,
    declining_versions,
    evaluate_checks,
    generator_verdict,
)

# The checks that page (change and privacy checks), as the built-in records declare them.
PAGING_CHECKS: tuple[str, ...] = tuple(CHECKS)

__all__ = [
    "CHECKS",
    "CHECK_KINDS",
    "DECLINE_METRICS",
    "DESCRIPTIONS",
    "FINDING_OF_KIND",
    "GAPS",
    "MAD_TO_SD",
    "MIN_EXPECTED_COUNT",
    "PAGING_CHECKS",
    "RULES",
    "WATCHES",
    "Check",
    "CheckResult",
    "CheckThresholds",
    "GeneratorVerdict",
    "HealthyLevels",
    "Kind",
    "ObservedNoise",
    "Threshold",
    "VersionFigures",
    "baseline_members",
    "baseline_of",
    "declining_versions",
    "dispersion_critical",
    "evaluate_checks",
    "generator_verdict",
    "observed_noise",
    "on_change",
    "record",
    "records",
    "register",
    "registered",
    "threshold_table",
    "two_proportion_z",
    "unregister",
]
