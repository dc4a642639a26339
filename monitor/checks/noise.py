"""The noise model of the checks: a version's figures, their noise, the history's dispersion.

Noise is measured, not assumed: the healthy level is the mean of several real holdout draws of
the versions' own size, its spread their standard deviation
(:class:`collectors.generator.HealthyLevels`); the noise of a share is the larger of that spread
and the binomial ``sqrt(p (1 - p) / n)`` at the version's value (precision is a share of the M
synthetic points, recall and coverage of the N real points; Naeem et al. 2020, sec. 3-4), widened
by the refit noise of a generator fitted on N rows (a variance factor 1 + M / N); the noise of the
classifier two-sample test's AUC is at least its own sampling noise (Hanley and McNeil 1982), which
holds where real draws too small to train a classifier read a spread of 0; a change
compares two noisy figures, so its noise is ``sqrt(sd_baseline^2 + sd_version^2)``. Where a
generator's own versions scatter more than that model explains (significantly, at the 1 % level),
the change noise is widened by the dispersion its history shows (:func:`observed_noise`; read from
the versions before the one judged, blind to a steady drift and to one step).
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scipy.stats import chi2, norm

__all__ = [
    "DECLINE_METRICS",
    "MAD_TO_SD",
    "MIN_EXPECTED_COUNT",
    "ObservedNoise",
    "VersionFigures",
    "auc_sd",
    "dispersion_critical",
    "observed_noise",
    "two_proportion_z",
]

# Shares whose version-to-version fall counts as a decline; (metric, rows it is a share of).
DECLINE_METRICS: dict[str, str] = {
    "precision": "sample",
    "recall": "reference",
    "coverage": "reference",
    "alpha_precision": "sample",
    "beta_recall": "reference",
    "authenticity": "sample",
}
SHARE_ROWS: dict[str, str] = {**DECLINE_METRICS, "worst_region_coverage": "region"}
# ROC AUCs of a classifier scoring held-out rows of both samples (every row scored once).
AUC_METRICS = frozenset({"detection_auc"})
MIN_EXPECTED_COUNT = 10.0  # as collectors.metrics.tails: a tail or category side worth testing


@dataclass(frozen=True)
class VersionFigures:
    """One measured version: its figures, row counts, per-feature figures and healthy noise."""

    version: str
    figures: Mapping[str, float]
    reference_rows: int
    sample_rows: int
    per_feature: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    spread: Mapping[str, float] = field(default_factory=dict)
    # What the versions before this one showed of the generator's own refit noise; filled in by
    # :func:`evaluate_checks` (:func:`observed_noise`), empty for a version judged on its own.
    observed: ObservedNoise | None = None


@dataclass(frozen=True)
class ObservedNoise:
    """A generator's refit noise as its own recent versions show it (:func:`observed_noise`).

    ``past``: the versions it is read from (oldest first, the one judged excluded);
    ``categories_returned``: per categorical feature, the most categories an earlier version
    lost that a later one generated again. :meth:`dispersion` is computed on first use per
    figure (a check asks for a handful of the hundred-odd figures a version has).
    """

    past: tuple[VersionFigures, ...] = ()
    categories_returned: Mapping[str, float] = field(default_factory=dict)
    _dispersion: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def dispersion(self, metric: str) -> float:
        """How many times the modelled noise ``metric`` scatters by; 1 unless significant."""
        if metric not in self._dispersion:
            self._dispersion[metric] = _dispersion(self.past, metric)
        return self._dispersion[metric]


# -- noise --------------------------------------------------------------------------------------


def _binomial(share: float, rows: int) -> float:
    """Binomial standard deviation of a share of ``rows`` points."""
    if rows <= 0 or not math.isfinite(share):
        return 0.0
    p = min(max(share, 0.0), 1.0)
    return math.sqrt(p * (1.0 - p) / rows)


def auc_sd(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an ROC AUC (the Mann-Whitney statistic) scored on ``positives`` and
    ``negatives`` rows: Hanley and McNeil 1982 (Radiology 143, 29-36), eq. 1 with eq. 2's
    Q1 = A / (2 - A) and Q2 = 2 A^2 / (1 + A). At A = 1/2 it is the exact null variance of
    Mann and Whitney 1947, (n1 + n2 + 1) / (12 n1 n2). An AUC below 1/2 is read as 1 - A."""
    if positives <= 0 or negatives <= 0 or not math.isfinite(auc):
        return 0.0
    a = min(max(auc, 1.0 - auc), 1.0)  # below 1/2: the labels swapped
    q1, q2 = a / (2.0 - a), 2.0 * a * a / (1.0 + a)
    variance = (a * (1.0 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (
        positives * negatives
    )
    return math.sqrt(max(variance, 0.0))


def _sampling_sd(v: VersionFigures, metric: str, value: float) -> float:
    """A figure's own sampling noise where a model gives it: a share's binomial noise, an AUC's
    Hanley-McNeil error on min(M, N) rows a side (the C2ST scores at most that many of each:
    a lower bound of its noise where it caps the rows lower)."""
    if metric in AUC_METRICS:
        rows = min(v.sample_rows, v.reference_rows)
        return auc_sd(value, rows, rows)
    return _binomial(value, _rows(v, metric))


def _rows(v: VersionFigures, metric: str) -> int:
    basis = SHARE_ROWS.get(metric)
    if basis == "reference":
        return v.reference_rows
    if basis == "sample":
        return v.sample_rows
    if basis == "region":
        return int(v.figures.get("worst_region_rows", 0))
    return 0


def _refit(v: VersionFigures) -> float:
    """How much a refitted generator's noise exceeds the sampling noise of its M rows.

    A generator fitted on N rows carries that sample's error: its distribution is off the real
    one by about the sampling noise of N rows, on top of the noise of the M rows drawn from it,
    so a share's variance grows from p (1 - p) / M to p (1 - p) (1 / M + 1 / N), a factor
    1 + M / N. N is taken as the reference's rows (in the usual set-up the generator's training
    data). This is the refit noise a healthy generator shows between versions, which one real
    draw's spread cannot (coverage moved 0.36 -> 0.48 between two healthy refits of one table).
    """
    if v.reference_rows <= 0 or v.sample_rows <= 0:
        return 1.0
    return math.sqrt(1.0 + v.sample_rows / v.reference_rows)


def _sd(v: VersionFigures, metric: str) -> float:
    """Noise of ``metric`` in version ``v``: the healthy draws' spread or the figure's own
    sampling noise (:func:`_sampling_sd`), the larger, widened by the refit noise
    (:func:`_refit`)."""
    value = v.figures.get(metric)
    sampling = _sampling_sd(v, metric, value) if value is not None else 0.0
    spread = v.spread.get(metric, 0.0)
    return max(sampling, spread if math.isfinite(spread) else 0.0) * _refit(v)


def _change_sd(a: VersionFigures, b: VersionFigures, metric: str) -> float:
    """Noise of the change of ``metric`` from ``b`` to ``a``: each version's noise (:func:`_sd`)
    in quadrature, times the dispersion the history before ``a`` showed (:func:`observed_noise`;
    1 unless it rejects the model): a generator whose refits scatter more than the model says
    shows it in its own history, and its limits widen by as much."""
    model = math.hypot(_sd(a, metric), _sd(b, metric))
    factor = a.observed.dispersion(metric) if a.observed is not None else 1.0
    return model * factor


# The history's noise: steps of consecutive versions needed (with three, the median absolute
# deviation ignores one step of a collapse; with two it cannot), the most recent steps used, and
# the level of the test that the model's noise is too small.
MIN_NOISE_STEPS = 3
NOISE_WINDOW = 20
DISPERSION_LEVEL = 0.01
MAD_TO_SD = 1.4826  # 1 / Phi^-1(3/4): the MAD of normal data times this estimates its sd


# The 1 - DISPERSION_LEVEL quantile of the dispersion estimate (:func:`_dispersion`) when the
# model holds, for 3, 4, ..., NOISE_WINDOW steps. Under the model a step standardized by its
# model noise is N(0, 1), and consecutive steps share a version (correlation -1/2); the
# estimate's distribution at these sizes has no closed form, so it was simulated: 400,000
# histories of normal versions per size, numpy.random.default_rng(11), the 99th percentile of
# the estimate (tests/monitor/test_checks.py simulates it again). It is not monotone in the
# number of steps: the median of an even count averages two middle values.
DISPERSION_CRITICAL: tuple[float, ...] = (
    2.79, 2.33, 2.57, 2.27, 2.34, 2.16, 2.19, 2.05, 2.07,
    1.97, 1.96, 1.89, 1.90, 1.84, 1.84, 1.78, 1.79, 1.74,
)  # fmt: skip


def chi_square_dispersion(statistic: float, df: int) -> float:
    """The quasi-likelihood dispersion ``statistic / df`` of a sum of ``df`` squared standardized
    residuals, where it exceeds the chi-square's ``1 - DISPERSION_LEVEL`` quantile (the model's
    noise rejected); 1 otherwise (McCullagh and Nelder, Generalized Linear Models, 2nd ed., sec.
    4.5)."""
    if df <= 0 or statistic <= _chi_square_critical(df):
        return 1.0
    return statistic / df


@functools.lru_cache(maxsize=1024)
def _chi_square_critical(df: int) -> float:
    """``chi2.isf(DISPERSION_LEVEL, df)``, computed once per ``df``: the daemon's verdict asks it
    thousands of times per version (each tail check over the history), and each call of the
    distribution object costs about 0.4 ms of argument handling (0.5 s of a 16-version verdict)."""
    return float(chi2.isf(DISPERSION_LEVEL, df))


def dispersion_critical(steps: int) -> float:
    """The dispersion estimate from ``steps`` steps that the model explains at the 1 % level."""
    index = min(max(steps, MIN_NOISE_STEPS), NOISE_WINDOW) - MIN_NOISE_STEPS
    return DISPERSION_CRITICAL[index]


def _dispersion(past: Sequence[VersionFigures], metric: str) -> float:
    """How many times the model's noise the versions ``past`` scatter by, 1 unless significant.

    Each step d_j = x_j - x_(j-1) is divided by its model noise (:func:`_sd` of the two versions in
    quadrature, as a check comparing them would use), and the spread of these standardized steps is
    the median absolute deviation about their *median*, times 1.4826. The median centre makes it
    blind to a steady drift (a collapse proceeding a little each version moves every step alike) and
    the median deviation to one outlying step (a version that collapsed at once); Rousseeuw and
    Croux 1993. Under the model the estimate is about 1, but from a few steps it scatters widely
    (above 1.6 one time in ten from 3 to 9 steps), so it replaces the model's 1 only where it
    exceeds what the model explains at the :data:`DISPERSION_LEVEL` level
    (:func:`dispersion_critical`): then the model is rejected and the history's dispersion is the
    better estimate, as an overdispersed binomial's standard errors are scaled by a dispersion
    estimated from the data (quasi-likelihood; McCullagh and Nelder, Generalized Linear Models,
    2nd ed., sec. 4.5).
    """
    recent = past[-(NOISE_WINDOW + 1) :]
    values = [v.figures.get(metric, math.nan) for v in recent]
    if len(values) <= MIN_NOISE_STEPS or not all(math.isfinite(x) for x in values):
        return 1.0
    steps = []
    for (earlier, before), (later, after) in itertools.pairwise(zip(recent, values, strict=True)):
        noise = math.hypot(_sd(earlier, metric), _sd(later, metric))
        if noise <= 0:
            return 1.0  # no model noise to scale (a figure without one is judged as before)
        steps.append((after - before) / noise)
    centre = statistics.median(steps)
    estimate = MAD_TO_SD * statistics.median(abs(z - centre) for z in steps)
    return estimate if estimate > dispersion_critical(len(steps)) else 1.0


def observed_noise(past: Sequence[VersionFigures]) -> ObservedNoise:
    """The refit noise a generator's versions ``past`` (oldest first) show, for the next version.

    Change checks compare a version with the baseline; the noise of that change is modelled per
    version (:func:`_sd`: the healthy draws' spread or the binomial noise, widened by refit noise
    1 + M / N). Some generators scatter more between refits than that model (a Gaussian copula
    on 64 tied pixel columns: precision 0.22 to 0.46 between healthy refits, 3.5 times the
    model), and a lucky first version then makes every later one a "decline". Their history
    shows it, and only the versions *before* the one judged are used, so that a version's own
    change can never widen its own limit:

    * per figure, the dispersion: how many times the model's noise consecutive versions differ
      by (:func:`_dispersion`; the moving-range idea of the individuals control chart,
      Montgomery, Introduction to Statistical Quality Control, sec. 6.4), used where it is
      significantly above 1;
    * per categorical feature, the most categories a version lost that a later version
      generated again: a generator that has dropped a category and brought it back has shown
      that the category's presence is refit noise (a 1.7 % category decoded by argmax from
      one-hot columns); in a self-consuming loop a lost category never returns, so this stays
      empty there.
    """
    recent = tuple(past[-(NOISE_WINDOW + 1) :])
    returned: dict[str, float] = {}
    for feature in {name for v in recent for name in v.per_feature}:
        lost = [v.per_feature.get(feature, {}).get("categories_lost") for v in recent]
        for i, before in enumerate(lost):
            if before is None or before <= 0:
                continue
            if any(later is not None and later < before for later in lost[i + 1 :]):
                returned[feature] = max(returned.get(feature, 0.0), before)
    return ObservedNoise(recent, returned)


def _bonferroni(sigmas: float, tests: int) -> float:
    """The z that keeps the family-wise rate of ``tests`` one-sided tests at ``sigmas``' rate."""
    if tests <= 1:
        return sigmas
    return float(norm.isf(norm.sf(sigmas) / tests))


def two_proportion_z(a: float, n_a: float, b: float, n_b: float, refits: float = 0.0) -> float:
    """z of ``a - b`` for shares of ``n_a`` and ``n_b`` rows (pooled variance).

    ``refits`` adds the generators' refit variance as a sum of 1 / N terms (``2 / N`` for two
    versions, ``1 / N`` for a version against the reference; see :func:`_refit`). Rows sampled
    in clusters (whole entities) pass their effective counts, rows over the design effect
    (:func:`monitor.checks.rules_tails.effective_rows`).
    """
    if n_a <= 0 or n_b <= 0:
        return 0.0
    pooled = (a * n_a + b * n_b) / (n_a + n_b)
    se = math.sqrt(max(pooled * (1.0 - pooled), 0.0) * (1.0 / n_a + 1.0 / n_b + refits))
    if se == 0.0:
        return 0.0 if a == b else math.copysign(math.inf, a - b)
    return (a - b) / se
