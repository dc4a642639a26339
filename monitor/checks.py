"""Collapse checks and fidelity findings over a generator's version history.

Pure functions (figures in, verdicts out) shared by the exporter, which exports how many of the
latest versions in a row breach each check (Prometheus time is not version time, so a rule that
must hold "for two consecutive versions" needs this count), by ``status`` and by the reports.

Two kinds of findings, kept apart because they call for different responses:

* **Change** (``collapse`` checks, and ``memorization``): a version got worse than the generator's
  own baseline (its first measured version) by more than an effect size (a share or factor) *and*
  more than the version-to-version noise of a healthy generator. Collapse is a generator drifting
  away from what it was (Shumailov et al. 2024, Nature; Alemohammad et al. 2023): these page.
* **Gap** (``gap`` findings): a version far from the healthy real-vs-real level. A gap that was
  there from the first version is a fidelity defect of the generator (it always blurred, always
  invented out-of-range values), not a collapse: a ticket, never a page.

Noise is measured, not assumed: the healthy level is the mean of several real holdout draws of
the versions' own size, its spread their standard deviation
(:class:`collectors.generator.HealthyLevels`); the noise of a share is the larger of that spread
and the binomial ``sqrt(p (1 - p) / n)`` at the version's value (precision is a share of the M
synthetic points, recall and coverage of the N real points; Naeem et al. 2020, sec. 3-4), widened
by the refit noise of a generator fitted on N rows (a variance factor 1 + M / N); a change
compares two noisy figures, so its noise is ``sqrt(sd_baseline^2 + sd_version^2)``. Where a
generator's own versions scatter more than that model explains (significantly, at the 1 % level),
the change noise is widened by the dispersion its history shows (:func:`observed_noise`; read from
the versions before the one judged, blind to a steady drift and to one step).
Per-feature tails and categories are tested with two-proportion z-tests, Bonferroni-corrected
over the features tested, and must also move by the configured factor; a tail side is tested only
where the reference holds ``MIN_EXPECTED_COUNT`` rows beyond its threshold, a rare-category mass
only where one of the two versions holds that many rare rows.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from scipy.stats import norm

__all__ = [
    "CHECKS",
    "CHECK_KINDS",
    "DECLINE_METRICS",
    "GAPS",
    "MAD_TO_SD",
    "PAGING_CHECKS",
    "CheckResult",
    "CheckThresholds",
    "GeneratorVerdict",
    "HealthyLevels",
    "ObservedNoise",
    "VersionFigures",
    "baseline_members",
    "baseline_of",
    "declining_versions",
    "dispersion_critical",
    "evaluate_checks",
    "generator_verdict",
    "observed_noise",
    "two_proportion_z",
]

Kind = Literal["collapse", "privacy", "gap"]

# Change checks, each with the signal it watches. Bounded: these are Prometheus label values.
CHECKS: dict[str, str] = {
    "coverage_decline": "coverage fell below its baseline beyond the healthy noise",
    "recall_decline": "recall fell below its baseline while precision holds (diversity collapse)",
    "precision_decline": "precision fell below its baseline (quality collapse: samples blur)",
    "density_rise": "density rose far above its baseline and healthy level (samples crowd modes)",
    "tail_thinning": "a feature's tail share fell to a fraction of its baseline (tails vanish)",
    "tail_excess": "a feature's tail share rose far above its baseline (invented extremes)",
    "region_uncovered": "the worst-covered region of the real data fell far below its baseline",
    "category_lost": "a real category the baseline generated is no longer generated",
    "rare_category_shift": "the mass of rare real categories moved far from its baseline",
    "memorization": "authenticity down or too many samples closer than the holdout to the data",
    "utility_decline": "a model trained on the version scores far below the baseline's (TSTR/TRTR)",
    "class_lost": "a target class the baseline generated is no longer generated",
    "membership_exposure": "a membership attack tells the training rows from unseen real rows",
    # Text generators (collectors.text); a tabular generator has none of their figures.
    "vocabulary_loss": "the reference vocabulary seen at the token budget fell below its baseline",
    "rare_mass_loss": "the mass of the reference's rare words fell far below its baseline",
    "diversity_decline": "distinct-n or semantic diversity fell below its baseline",
    "length_tail_loss": "the share of very short or very long texts fell far below its baseline",
}

# Fidelity findings: a version far from the healthy real-vs-real level (constant gaps included).
GAPS: dict[str, str] = {
    "precision_gap": "precision far below the healthy real-vs-real level",
    "recall_gap": "recall far below the healthy real-vs-real level",
    "coverage_gap": "coverage far below the healthy real-vs-real level",
    "density_gap": "density far above the healthy real-vs-real level",
    "tail_gap": "a feature's tail share far from the real share",
    "category_gap": "real categories (>= 1 %, >= 10 rows expected) never generated",
}

CHECK_KINDS: dict[str, Kind] = {
    **{check: "collapse" for check in CHECKS},
    "memorization": "privacy",
    "membership_exposure": "privacy",
    **{gap: "gap" for gap in GAPS},
}
PAGING_CHECKS: tuple[str, ...] = tuple(CHECKS)

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
MIN_EXPECTED_COUNT = 10.0  # as collectors.metrics.tails: a tail or category side worth testing


@dataclass(frozen=True)
class CheckThresholds:
    """How far a figure must move before a version breaches (config: ``[generators.checks]``)."""

    coverage_share: float = 0.9
    recall_share: float = 0.8
    precision_share: float = 0.8
    precision_hold_share: float = 0.9
    density_factor: float = 1.5
    tail_low: float = 0.5
    tail_high: float = 2.0
    region_share: float = 0.5
    rare_factor: float = 2.0
    authenticity_share: float = 0.8
    dcr_close_share_factor: float = 2.0
    noise_sigmas: float = 3.0
    persistence: int = 2
    # The baseline: the first version, or the median of the first few (steadier against a lucky
    # first draw of a noisy refit, at the cost of detection lag; benchmarks/README.md).
    baseline_versions: int = 1
    utility_share: float = 0.9  # utility_decline: TSTR/TRTR below 0.9 x the baseline's
    membership_auc_margin: float = 0.1  # membership_exposure: attack AUC above 0.5 + margin
    membership_tpr_factor: float = 5.0  # ... or TPR at 1 % FPR above factor x 1 %
    vocabulary_share: float = 0.9  # vocabulary_loss: retention below 0.9 x the baseline's
    rare_mass_share: float = 0.7  # rare_mass_loss: rare-word mass below 0.7 x the baseline's
    diversity_share: float = 0.9  # diversity_decline: distinct-n / semantic below 0.9 x


class HealthyLevels(dict[str, float]):
    """Healthy real-vs-real levels by figure, carrying their spread and how they were measured.

    A ``dict`` so that callers that only need the levels use it as one.
    """

    def __init__(
        self,
        levels: Mapping[str, float] | None = None,
        spread: Mapping[str, float] | None = None,
        meta: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(levels or {})
        self.spread: dict[str, float] = dict(spread or {})
        self.meta: dict[str, float] = dict(meta or {})

    @property
    def reliable(self) -> bool:
        """False when the holdout was too small for the level to say anything."""
        return bool(self) and self.meta.get("healthy_reliable", 1.0) >= 1.0

    @property
    def repeated_rows(self) -> bool:
        """True when the draws repeated holdout rows (coverage and recall levels biased low)."""
        return self.meta.get("healthy_with_replacement", 0.0) >= 1.0


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


Outcome = tuple[bool | None, float | None, float | None, str]
_NONE: Outcome = (None, None, None, "")


# -- noise --------------------------------------------------------------------------------------


def _binomial(share: float, rows: int) -> float:
    """Binomial standard deviation of a share of ``rows`` points."""
    if rows <= 0 or not math.isfinite(share):
        return 0.0
    p = min(max(share, 0.0), 1.0)
    return math.sqrt(p * (1.0 - p) / rows)


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
    """Noise of ``metric`` in version ``v``: the healthy draws' spread or the binomial noise,
    the larger, widened by the refit noise (:func:`_refit`)."""
    value = v.figures.get(metric)
    binomial = _binomial(value, _rows(v, metric)) if value is not None else 0.0
    spread = v.spread.get(metric, 0.0)
    return max(binomial, spread if math.isfinite(spread) else 0.0) * _refit(v)


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


def two_proportion_z(a: float, n_a: int, b: float, n_b: int, refits: float = 0.0) -> float:
    """z of ``a - b`` for shares of ``n_a`` and ``n_b`` rows (pooled variance).

    ``refits`` adds the generators' refit variance as a sum of 1 / N terms (``2 / N`` for two
    versions, ``1 / N`` for a version against the reference; see :func:`_refit`).
    """
    if n_a <= 0 or n_b <= 0:
        return 0.0
    pooled = (a * n_a + b * n_b) / (n_a + n_b)
    se = math.sqrt(max(pooled * (1.0 - pooled), 0.0) * (1.0 / n_a + 1.0 / n_b + refits))
    if se == 0.0:
        return 0.0 if a == b else math.copysign(math.inf, a - b)
    return (a - b) / se


# -- change checks ------------------------------------------------------------------------------


def _share_decline(
    metric: str, share: float, current: VersionFigures, baseline: VersionFigures, sigmas: float
) -> Outcome:
    """``metric`` below ``share`` of the baseline's *and* below it by ``sigmas`` change noises."""
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None:
        return None, None, value, ""
    limit = min(share * anchor, anchor - sigmas * _change_sd(current, baseline, metric))
    return value < limit, limit, value, ""


def _density_rise(
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    t: CheckThresholds,
) -> Outcome:
    value, anchor = current.figures.get("density"), baseline.figures.get("density")
    if value is None or anchor is None:
        return None, None, value, ""
    level = healthy.get("density") if healthy.reliable else None
    anchor = max(anchor, level) if level is not None else anchor
    limit = max(
        t.density_factor * anchor,
        anchor + t.noise_sigmas * _change_sd(current, baseline, "density"),
    )
    return value > limit, limit, value, ""


def _tail_sides(v: VersionFigures) -> dict[tuple[str, str], tuple[float, float]]:
    """(feature, side) -> (share beyond the reference threshold, reference share beyond it)."""
    out = {}
    for feature, values in v.per_feature.items():
        for side in ("lower", "upper"):
            share, expected = values.get(f"tail_share_{side}"), values.get(f"tail_expected_{side}")
            if share is not None and expected is not None:
                out[(feature, side)] = (share, expected)
    return out


def _tails(
    check: str, current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Per feature and side: the tail share against the baseline's (thinning or excess).

    A side is tested when the baseline expected at least ``MIN_EXPECTED_COUNT`` samples in it
    (thinning) or the real data holds that many at the version's size (excess), and in both
    cases only when the reference itself holds ``MIN_EXPECTED_COUNT`` rows beyond the threshold:
    the refit term of the test (a generator fitted on N rows carries the counting noise of its
    N q tail rows) is a normal approximation that needs N q >= 10, and a generator that saw 3
    tail rows (320 reference rows at q = 1 %) extrapolates its tail, which its refits then put
    anywhere (0 to 52 of 320 rows between healthy copula refits in the detection suite).
    Reported: the worst side's ratio to its anchor, against the factor.
    """
    now, then = _tail_sides(current), _tail_sides(baseline)
    if not now or not then:
        return _scalar_tails(check, current, baseline, t)
    m, m0, n = current.sample_rows, baseline.sample_rows, current.reference_rows
    tested: list[tuple[float, str, float]] = []  # (ratio to anchor, name, z)
    for key, (share, expected) in now.items():
        if key not in then or expected * n < MIN_EXPECTED_COUNT:
            continue
        before = then[key][0]
        name = f"{key[0]} ({key[1]} tail)"
        if check == "tail_thinning":
            if before * m0 < MIN_EXPECTED_COUNT:
                continue
            z = two_proportion_z(before, m0, share, m, 2.0 / n if n > 0 else 0.0)
            tested.append((share / before, name, z))
        else:
            # Against the baseline's share, or the reference's where that is higher (a
            # generator that always invented extremes is a gap, not a change).
            anchor, rows, refits = (before, m0, 2.0) if before >= expected else (expected, n, 1.0)
            if anchor * m < MIN_EXPECTED_COUNT and share * m < MIN_EXPECTED_COUNT:
                continue
            z = two_proportion_z(share, m, anchor, rows, refits / n if n > 0 else 0.0)
            tested.append((share / anchor if anchor > 0 else math.inf, name, z))
    if not tested:
        return None, None, None, ""
    z_limit = _bonferroni(t.noise_sigmas, len(tested))
    if check == "tail_thinning":
        limit = t.tail_low
        breaches = sorted(x for x in tested if x[0] < limit and x[2] > z_limit)
        shown = breaches[0] if breaches else min(tested)  # the lowest ratio
    else:
        limit = t.tail_high
        breaches = sorted((x for x in tested if x[0] > limit and x[2] > z_limit), reverse=True)
        shown = breaches[0] if breaches else max(tested)  # the highest ratio
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches[:5])
    value = shown[0] if math.isfinite(shown[0]) else None
    return bool(breaches), limit, value, detail


def _scalar_tails(
    check: str, current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Without per-feature figures: the summary ratios against the baseline's."""
    if check == "tail_thinning":
        value, anchor = (
            current.figures.get("tail_frequency_ratio_min"),
            baseline.figures.get("tail_frequency_ratio_min"),
        )
        if value is None or anchor is None:
            return None, None, value, ""
        limit = t.tail_low * anchor
        return value < limit, limit, value, ""
    value = current.figures.get("tail_frequency_ratio_max")
    anchor = baseline.figures.get("tail_frequency_ratio_max")
    if value is None or anchor is None:
        return None, None, value, ""
    limit = t.tail_high * max(1.0, anchor)
    return value > limit, limit, value, ""


def _category_lost(current: VersionFigures, baseline: VersionFigures) -> Outcome:
    value, anchor = current.figures.get("categories_lost"), baseline.figures.get("categories_lost")
    if value is None or anchor is None:
        return None, None, value, ""
    returned = current.observed.categories_returned if current.observed is not None else {}
    lost = []
    for feature, values in current.per_feature.items():
        before = baseline.per_feature.get(feature, {}).get("categories_lost")
        now = values.get("categories_lost")
        if before is None or now is None:
            continue
        # Losses the generator already reversed are its refit noise (observed_noise).
        before = max(before, returned.get(feature, 0.0))
        if now > before:
            lost.append(f"{feature} ({int(now - before)} more)")
    breached = bool(lost) if current.per_feature else value > anchor
    return breached, anchor, value, ", ".join(lost)


def _rare_shift(current: VersionFigures, baseline: VersionFigures, t: CheckThresholds) -> Outcome:
    """Per categorical feature: rare-category mass moved by ``rare_factor`` either way.

    A feature is judged only where the baseline or the version holds ``MIN_EXPECTED_COUNT`` rare
    rows (the two-proportion test's normal approximation); where per-feature masses exist but
    none has that support, the check says so and does not fall back to the pooled ratio, which
    would judge 1 row against 6 as a sixfold shift.
    """
    m, m0 = current.sample_rows, baseline.sample_rows
    tested: list[tuple[float, str, float]] = []
    measured = False  # per-feature masses exist (then an unsupported one is not judged at all)
    for feature, values in current.per_feature.items():
        now = values.get("rare_category_mass")
        before = baseline.per_feature.get(feature, {}).get("rare_category_mass")
        if now is None or before is None:
            continue
        measured = True
        if max(now * m, before * m0) < MIN_EXPECTED_COUNT:
            continue
        ratio = now / before if before > 0 else math.inf
        refits = 2.0 / current.reference_rows if current.reference_rows > 0 else 0.0
        tested.append((ratio, feature, abs(two_proportion_z(now, m, before, m0, refits))))
    if not tested and measured:
        # Fewer than MIN_EXPECTED_COUNT rare rows expected on either side: a 0.6 % category at
        # 1,500 rows is 9 rows, and 1 against 6 of them is chance, not a shift.
        return None, None, None, "rare categories too rare to judge at this size"
    if not tested:
        value = current.figures.get("rare_category_mass_ratio")
        anchor = baseline.figures.get("rare_category_mass_ratio")
        if value is None or anchor is None or anchor <= 0:
            return None, None, value, ""
        ratio = value / anchor
        return ratio < 1 / t.rare_factor or ratio > t.rare_factor, t.rare_factor, ratio, ""
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))  # two-sided
    breaches = [
        x for x in tested if (x[0] < 1 / t.rare_factor or x[0] > t.rare_factor) and x[2] > z_limit
    ]
    shown = max(
        breaches or tested, key=lambda x: abs(math.log(x[0])) if 0 < x[0] < math.inf else 99
    )
    limit = t.rare_factor if shown[0] >= 1 else 1 / t.rare_factor
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches[:5])
    value = shown[0] if math.isfinite(shown[0]) else None
    return bool(breaches), limit, value, detail


def _memorization(
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    t: CheckThresholds,
) -> Outcome:
    """Privacy, not collapse: judged against the healthy level from the first version on."""
    f = current.figures
    authenticity, close = f.get("authenticity"), f.get("dcr_close_share")
    breaches: list[bool] = []
    limit = None
    if authenticity is not None:
        anchors = [a for a in (baseline.figures.get("authenticity"), healthy.get("authenticity"))
                   if a is not None and math.isfinite(a)]  # fmt: skip
        if anchors:
            anchor = min(anchors)
            noise = math.hypot(_sd(current, "authenticity"), healthy.spread.get("authenticity", 0))
            limit = min(t.authenticity_share * anchor, anchor - t.noise_sigmas * noise)
            breaches.append(authenticity < limit)
    if close is not None:
        # The holdout's own share below its 5th percentile is 0.05 by construction.
        anchor = max(healthy.get("dcr_close_share", 0.05), 0.05)
        noise = math.hypot(_binomial(anchor, current.sample_rows),
                           healthy.spread.get("dcr_close_share", 0.0))  # fmt: skip
        breaches.append(
            close > max(t.dcr_close_share_factor * anchor, anchor + t.noise_sigmas * noise)
        )
    if not breaches:
        return None, None, authenticity, ""
    return any(breaches), limit, authenticity, ""


def _utility_decline(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """TSTR/TRTR below ``utility_share`` of the baseline's *and* beyond the change noise (the
    spread of real-vs-real draws at the version's size; Esteban et al. 2017, TSTR)."""
    breached, limit, value, _ = _share_decline(
        "utility_ratio", t.utility_share, current, baseline, t.noise_sigmas
    )
    if breached is None:
        return breached, limit, value, ""
    tstr = current.figures.get("tstr_balanced_accuracy", current.figures.get("tstr_r2"))
    detail = f"TSTR {tstr:.3f}" if breached and tstr is not None else ""
    return breached, limit, value, detail


def _class_lost(current: VersionFigures, baseline: VersionFigures) -> Outcome:
    """More target classes lost than the baseline lost (a class of >= 1 % with >= 10 rows
    expected; chance absences are not counted, :func:`collectors.gates.class_mix`)."""
    value, anchor = current.figures.get("classes_lost"), baseline.figures.get("classes_lost")
    if value is None or anchor is None:
        return None, None, value, ""
    detail = f"{int(value - anchor)} more class(es) lost" if value > anchor else ""
    return value > anchor, anchor, value, detail


def _membership_exposure(
    current: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Privacy, not collapse: judged from the first version on, like memorization.

    Breached when the attack's AUC exceeds 0.5 by ``membership_auc_margin`` and by
    ``noise_sigmas`` null standard deviations (Mann-Whitney), or its TPR at 1 % FPR exceeds
    ``membership_tpr_factor`` x 1 % and the binomial noise (Carlini et al. 2022, sec. III), the
    latter only with at least 1,000 non-members (10 of them above the threshold).
    """
    f = current.figures
    auc, tpr = f.get("membership_auc"), f.get("membership_tpr_at_1pct_fpr")
    if auc is None:
        return None, None, None, ""
    noise = max(f.get("membership_auc_noise", 0.0), healthy.spread.get("membership_auc", 0.0))
    limit = 0.5 + max(t.membership_auc_margin, t.noise_sigmas * noise)
    breaches = [auc > limit]
    detail = f"AUC {auc:.3f}"
    rows = f.get("membership_rows", 0.0)
    fpr = 0.01
    # At 1 % FPR the threshold is the score of the top 1 % of non-members: with fewer than
    # MIN_EXPECTED_COUNT of them it is one or two rows' luck, so the TPR is shown, not judged.
    if tpr is not None and rows * fpr >= MIN_EXPECTED_COUNT:
        binomial = math.sqrt(fpr * (1 - fpr) / rows) if rows > 0 else 0.0
        breaches.append(tpr > max(t.membership_tpr_factor * fpr, fpr + t.noise_sigmas * binomial))
        detail += f", TPR at 1 % FPR {tpr:.3f}"
    return any(breaches), limit, auc, detail if any(breaches) else ""


# -- text checks --------------------------------------------------------------------------------

TEXT_DIVERSITY: tuple[str, ...] = (
    "text_distinct_1",
    "text_distinct_2",
    "text_distinct_3",
    "text_distinct_4",
    "text_semantic_diversity",
)


def _diversity_decline(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Distinct-1..4 (at the token budget) and semantic diversity against the baseline's: a
    figure breaches below ``diversity_share`` of its baseline *and* below it by the change noise
    (Bonferroni over the figures tested). Guo et al. 2024: lexical diversity falls first."""
    tested: list[tuple[float, str, bool, float, float]] = []
    present = [m for m in TEXT_DIVERSITY if m in current.figures and m in baseline.figures]
    z_limit = _bonferroni(t.noise_sigmas, len(present))
    for metric in present:
        value, anchor = current.figures[metric], baseline.figures[metric]
        if anchor <= 0:
            continue
        limit = min(
            t.diversity_share * anchor, anchor - z_limit * _change_sd(current, baseline, metric)
        )
        tested.append((value / anchor, metric, value < limit, limit, value))
    if not tested:
        return _NONE
    breaches = sorted(x for x in tested if x[2])
    shown = breaches[0] if breaches else min(tested)
    detail = ", ".join(f"{metric} x{ratio:.2f}" for ratio, metric, *_ in breaches)
    return bool(breaches), shown[3], shown[4], detail


def _length_tail_loss(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Shares of texts beyond the reference's 5 % and 95 % length quantiles against the
    baseline's: a side breaches below ``tail_low`` of its baseline share with a two-proportion
    z beyond the noise (Bonferroni over the sides tested, refit noise as the tail checks)."""
    m, m0, n = current.sample_rows, baseline.sample_rows, current.reference_rows
    tested: list[tuple[float, str, float]] = []
    for side in ("short", "long"):
        metric = f"text_length_{side}_share"
        now, before = current.figures.get(metric), baseline.figures.get(metric)
        if now is None or before is None or before * m0 < MIN_EXPECTED_COUNT:
            continue
        z = two_proportion_z(before, m0, now, m, 2.0 / n if n > 0 else 0.0)
        tested.append((now / before, f"{side} texts", z))
    if not tested:
        return _NONE
    z_limit = _bonferroni(t.noise_sigmas, len(tested))
    breaches = sorted(x for x in tested if x[0] < t.tail_low and x[2] > z_limit)
    shown = breaches[0] if breaches else min(tested)
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches)
    return bool(breaches), t.tail_low, shown[0], detail


# -- gap findings -------------------------------------------------------------------------------


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
    reference's own counting noise, about 1 / sqrt(N q), for a gap).
    """
    m, n = current.sample_rows, current.reference_rows
    tested = []
    for (feature, side), (share, expected) in _tail_sides(current).items():
        if expected * m < MIN_EXPECTED_COUNT or m <= 0 or n <= 0:
            continue
        z = two_proportion_z(share, m, expected, n, 1.0 / n)
        tested.append((share / expected, f"{feature} ({side} tail)", abs(z)))
    if not tested:
        return None, None, None, ""
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))
    breaches = [x for x in tested if (x[0] < t.tail_low or x[0] > t.tail_high) and x[2] > z_limit]
    worst = max(breaches or tested, key=lambda x: abs(math.log(max(x[0], 1e-9))))
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches[:5])
    limit = t.tail_low if worst[0] < 1 else t.tail_high
    return bool(breaches), limit, worst[0], detail


def _category_gap(current: VersionFigures) -> Outcome:
    value = current.figures.get("categories_lost")
    if value is None:
        return None, None, None, ""
    lost = [f"{feature} ({int(v['categories_lost'])})" for feature, v in current.per_feature.items()
            if v.get("categories_lost", 0) > 0]  # fmt: skip
    return value > 0, 0.0, value, ", ".join(lost)


# -- one version, every check -------------------------------------------------------------------


Rule = Callable[[VersionFigures, VersionFigures, HealthyLevels, CheckThresholds], Outcome]

# How each check judges one version: (current, baseline, healthy, thresholds) -> outcome.
RULES: dict[str, Rule] = {
    "coverage_decline": lambda c, b, h, t: _share_decline(
        "coverage", t.coverage_share, c, b, t.noise_sigmas
    ),
    "recall_decline": lambda c, b, h, t: _recall_decline(c, b, t),
    "precision_decline": lambda c, b, h, t: _share_decline(
        "precision", t.precision_share, c, b, t.noise_sigmas
    ),
    "density_rise": lambda c, b, h, t: _density_rise(c, b, h, t),
    "tail_thinning": lambda c, b, h, t: _tails("tail_thinning", c, b, t),
    "tail_excess": lambda c, b, h, t: _tails("tail_excess", c, b, t),
    "region_uncovered": lambda c, b, h, t: (
        _share_decline("worst_region_coverage", t.region_share, c, b, t.noise_sigmas)
        if "worst_region_coverage" in c.figures
        else _NONE
    ),
    "category_lost": lambda c, b, h, t: _category_lost(c, b),
    "rare_category_shift": lambda c, b, h, t: _rare_shift(c, b, t),
    "memorization": lambda c, b, h, t: _memorization(c, b, h, t),
    "utility_decline": lambda c, b, h, t: _utility_decline(c, b, t),
    "class_lost": lambda c, b, h, t: _class_lost(c, b),
    "membership_exposure": lambda c, b, h, t: _membership_exposure(c, h, t),
    "vocabulary_loss": lambda c, b, h, t: _share_decline(
        "text_vocabulary_retention", t.vocabulary_share, c, b, t.noise_sigmas
    ),
    "rare_mass_loss": lambda c, b, h, t: _share_decline(
        "text_rare_mass_ratio", t.rare_mass_share, c, b, t.noise_sigmas
    ),
    "diversity_decline": lambda c, b, h, t: _diversity_decline(c, b, t),
    "length_tail_loss": lambda c, b, h, t: _length_tail_loss(c, b, t),
    "precision_gap": lambda c, b, h, t: _share_gap(
        "precision", t.precision_share, c, h, t.noise_sigmas
    ),
    "recall_gap": lambda c, b, h, t: _share_gap("recall", t.recall_share, c, h, t.noise_sigmas),
    "coverage_gap": lambda c, b, h, t: _share_gap(
        "coverage", t.coverage_share, c, h, t.noise_sigmas
    ),
    "density_gap": lambda c, b, h, t: _density_gap(c, h, t),
    "tail_gap": lambda c, b, h, t: _tail_gap(c, t),
    "category_gap": lambda c, b, h, t: _category_gap(c),
}


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


def _recall_decline(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    breached, limit, value, _ = _share_decline(
        "recall", t.recall_share, current, baseline, t.noise_sigmas
    )
    if breached is None:
        return breached, limit, value, ""
    precision, anchor = current.figures.get("precision"), baseline.figures.get("precision")
    if precision is None or anchor is None:
        return None, limit, value, ""
    holds = precision >= min(
        t.precision_hold_share * anchor,
        anchor - t.noise_sigmas * _change_sd(current, baseline, "precision"),
    )
    return breached and holds, limit, value, ""


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
