"""Tail rules: a feature's tail share against the baseline's (tail_thinning, tail_excess).

:func:`_tails` tests every supported tail side of every numeric feature; its noise is the
counting noise of the rows and the refit's tail rows, widened by the dispersion the generator's
own history shows against the tested direction (:func:`tail_dispersion`). A sequence generator's
samples take whole entities, whose rows lie beyond a tail together: their counts are divided by
the side's design effect (:func:`effective_rows`), so the noise is that of the entities drawn.
"""

from __future__ import annotations

import itertools
import math

from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    NOISE_WINDOW,
    VersionFigures,
    _bonferroni,
    chi_square_dispersion,
    two_proportion_z,
)
from monitor.checks.outcome import Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = ["design_effect_figure", "design_effect_of", "effective_rows", "tail_dispersion"]


def design_effect_figure(deff: float | None) -> float:
    """A stored design effect figure (a sequence generator's sample of whole entities, Kish's
    ``1 + (m - 1) rho``; :mod:`collectors.sequences.clustering`) as the tests use it: 1 where
    there is none (rows sampled independently) or it is not a number above 1."""
    if deff is None or not math.isfinite(deff) or deff <= 1.0:
        return 1.0
    return deff


def design_effect_of(v: VersionFigures, key: tuple[str, str]) -> float:
    """The design effect of ``v``'s tail share on side ``key`` = (feature, side): its
    ``tail_design_effect_<side>`` figure (:func:`design_effect_figure`)."""
    return design_effect_figure(v.per_feature.get(key[0], {}).get(f"tail_design_effect_{key[1]}"))


def effective_rows(rows: int, deff: float) -> float:
    """``rows`` drawn with design effect ``deff`` count as ``rows / deff`` independent rows
    (Kish 1965, Survey Sampling, sec. 8.2: the effective sample size); ``rows`` itself at 1."""
    return rows if deff == 1.0 else rows / deff


def _tail_sides(v: VersionFigures) -> dict[tuple[str, str], tuple[float, float]]:
    """(feature, side) -> (share beyond the reference threshold, reference share beyond it)."""
    out = {}
    for feature, values in v.per_feature.items():
        for side in ("lower", "upper"):
            share, expected = values.get(f"tail_share_{side}"), values.get(f"tail_expected_{side}")
            if share is not None and expected is not None:
                out[(feature, side)] = (share, expected)
    return out


def tail_dispersion(check: str, current: VersionFigures, key: tuple[str, str]) -> float:
    """How many times the model's noise a tail side's share moved *against* the tested direction
    between the generator's earlier versions; 1 unless significant.

    The tail test's model noise (:func:`_tails`) counts the rows of the two samples and the
    tail rows of the refit's training data (``2 / N``). A generator that extrapolates its tail
    scatters more: a Gaussian copula whose marginal family ``copulas`` selects per refit puts
    1 % of its rows beyond the real 99th percentile of a heavy-tailed count under a Student t
    and 0.05 % under a Gaussian (RAND HIE ``disea``: 0.010, 0.014, 0.035, ... between
    bootstrap refits), so a healthy refit reads as a tail lost or invented.

    Between exchangeable (healthy) versions a step ``x_j - x_(j-1)`` is as likely up as down:
    its distribution is symmetric about 0. A change in one direction (tails thinning in a
    self-consuming loop, clipped extremes) adds steps of one sign only. So the noise of a
    thinning test is read from the *upward* steps of the versions before the one judged, and
    that of an excess test from the downward ones: each standardized by the model's noise
    (``two_proportion_z``), the mean of their squares estimates the dispersion (a squared half
    normal is chi-square with 1 degree of freedom, so k such steps sum to about chi-square with
    k), used where the sum exceeds the chi-square's ``1 - DISPERSION_LEVEL`` quantile: the
    quasi-likelihood dispersion of an overdispersed binomial (McCullagh and Nelder, Generalized
    Linear Models, 2nd ed., sec. 4.5), restricted to the steps a one-sided change cannot
    inflate. A generator whose tail came back after thinning has shown that thinning is its
    refit noise (as :func:`monitor.checks.noise.observed_noise` does for a category that came
    back); a self-consuming loop, whose tail only falls, keeps the model's noise.
    """
    if current.observed is None:
        return 1.0
    feature, side = key
    n = current.reference_rows
    recent = current.observed.past[-(NOISE_WINDOW + 1) :]
    shares = []  # (share, effective rows, design effect) per version
    for v in recent:
        deff = design_effect_of(v, key)
        share = v.per_feature.get(feature, {}).get(f"tail_share_{side}")
        shares.append((share, effective_rows(v.sample_rows, deff), deff))
    squares = []
    for (before, rows_before, _), (after, rows_after, deff) in itertools.pairwise(shares):
        if before is None or after is None:
            continue
        refits = 2.0 * deff / n if n > 0 else 0.0
        z = two_proportion_z(after, rows_after, before, rows_before, refits)
        if (z > 0) if check == "tail_thinning" else (z < 0):
            squares.append(z * z)
    return math.sqrt(chi_square_dispersion(sum(squares), len(squares)))


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
    Each side's z is divided by the dispersion the generator's own history shows against the
    tested direction (:func:`tail_dispersion`). Reported: the worst side's ratio to its anchor,
    against the factor.

    Sequence generators (samples of whole entities): each sample's rows count as
    :func:`effective_rows` under its design effect, and the refit term (the generator's training
    rows, whole entities too) takes the version's design effect: on real fertility panels the
    upper tail is a handful of countries' years, and rows counted as independent read two fresh
    draws of countries as a tail lost. The design effect is 1 for rows sampled independently, and
    the test is then the one above, figure for figure.
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
        deff, deff0 = design_effect_of(current, key), design_effect_of(baseline, key)
        m_eff, m0_eff = effective_rows(m, deff), effective_rows(m0, deff0)
        if check == "tail_thinning":
            if before * m0 < MIN_EXPECTED_COUNT:
                continue
            z = two_proportion_z(before, m0_eff, share, m_eff, 2.0 * deff / n if n > 0 else 0.0)
            tested.append((share / before, name, z / tail_dispersion(check, current, key)))
        else:
            # Against the baseline's share, or the reference's where that is higher (a
            # generator that always invented extremes is a gap, not a change).
            anchor, rows, refits = (
                (before, m0_eff, 2.0)
                if before >= expected
                else (expected, effective_rows(n, deff), 1.0)
            )
            if anchor * m < MIN_EXPECTED_COUNT and share * m < MIN_EXPECTED_COUNT:
                continue
            z = two_proportion_z(share, m_eff, anchor, rows, refits * deff / n if n > 0 else 0.0)
            z /= tail_dispersion(check, current, key)
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
    figure = f"{shown[1]} share / baseline's"
    return bool(breaches), limit, value, detail, figure


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
