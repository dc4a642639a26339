"""Privacy rules: judged from the first version on against the healthy levels."""

from __future__ import annotations

import math

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _binomial,
    _sd,
)
from monitor.checks.outcome import Outcome
from monitor.checks.thresholds import CheckThresholds

# One sub-test of a check of several: (figure, value, limit, breached, "above"/"below").
SubTest = tuple[str, float, float, bool, str]


def _decided(tests: list[SubTest], default: str) -> Outcome:
    """The outcome of a check of several sub-tests: breached when any is; value and limit of
    the one that breached farthest beyond its limit (of ``default``'s, or the first, when none
    breached); the detail names each breaching figure and what the others read."""
    if not tests:
        return None, None, None, ""
    breaching = [x for x in tests if x[3]]

    def beyond(x: SubTest) -> float:
        return abs(x[1] - x[2]) / abs(x[2]) if x[2] else math.inf

    if breaching:
        shown = max(breaching, key=beyond)
    else:
        shown = next((x for x in tests if x[0] == default), tests[0])
    parts = [f"{name} {value:.3f} {side} its limit {limit:.3f}"
             for name, value, limit, hit, side in breaching]  # fmt: skip
    holds = [f"{name} {value:.3f} (limit {limit:.3f}) holds"
             for name, value, limit, hit, _ in tests if not hit]  # fmt: skip
    detail = "; ".join(parts + holds) if breaching else ""
    return bool(breaching), shown[2], shown[1], detail, shown[0]


def _memorization(
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    t: CheckThresholds,
) -> Outcome:
    """Privacy, not collapse: judged against the healthy level from the first version on.

    Two sub-tests: authenticity below its anchor's share (Alaa et al. 2022), and the share of
    samples closer to the training rows than the holdout's 5th percentile (``dcr_close_share``)
    above its factor of the healthy share. The value and limit reported are the breaching
    sub-test's (its figure named), authenticity's when neither breaches.
    """
    f = current.figures
    authenticity, close = f.get("authenticity"), f.get("dcr_close_share")
    tests: list[SubTest] = []
    if authenticity is not None:
        anchors = [a for a in (baseline.figures.get("authenticity"), healthy.get("authenticity"))
                   if a is not None and math.isfinite(a)]  # fmt: skip
        if anchors:
            anchor = min(anchors)
            noise = math.hypot(_sd(current, "authenticity"), healthy.spread.get("authenticity", 0))
            limit = min(t.authenticity_share * anchor, anchor - t.noise_sigmas * noise)
            tests.append(("authenticity", authenticity, limit, authenticity < limit, "below"))
    if close is not None:
        # The holdout's own share below its 5th percentile is 0.05 by construction.
        anchor = max(healthy.get("dcr_close_share", 0.05), 0.05)
        noise = math.hypot(_binomial(anchor, current.sample_rows),
                           healthy.spread.get("dcr_close_share", 0.0))  # fmt: skip
        limit = max(t.dcr_close_share_factor * anchor, anchor + t.noise_sigmas * noise)
        tests.append(("dcr_close_share", close, limit, close > limit, "above"))
    if not tests:
        return None, None, authenticity, ""
    return _decided(tests, "authenticity")


def _membership_exposure(
    current: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Privacy, not collapse: judged from the first version on, like memorization.

    Breached when the attack's AUC exceeds 0.5 by ``membership_auc_margin`` and by
    ``noise_sigmas`` null standard deviations (Mann-Whitney), or its TPR at 1 % FPR exceeds
    ``membership_tpr_factor`` x 1 % and the binomial noise (Carlini et al. 2022, sec. III), the
    latter only with at least 1,000 non-members (10 of them above the threshold). The value and
    limit reported are the breaching sub-test's, the AUC's when neither breaches.
    """
    f = current.figures
    auc, tpr = f.get("membership_auc"), f.get("membership_tpr_at_1pct_fpr")
    if auc is None:
        return None, None, None, ""
    noise = max(f.get("membership_auc_noise", 0.0), healthy.spread.get("membership_auc", 0.0))
    limit = 0.5 + max(t.membership_auc_margin, t.noise_sigmas * noise)
    tests: list[SubTest] = [("membership_auc", auc, limit, auc > limit, "above")]
    rows = f.get("membership_rows", 0.0)
    fpr = 0.01
    # At 1 % FPR the threshold is the score of the top 1 % of non-members: with fewer than
    # MIN_EXPECTED_COUNT of them it is one or two rows' luck, so the TPR is shown, not judged.
    if tpr is not None and rows * fpr >= MIN_EXPECTED_COUNT:
        binomial = math.sqrt(fpr * (1 - fpr) / rows) if rows > 0 else 0.0
        tpr_limit = max(t.membership_tpr_factor * fpr, fpr + t.noise_sigmas * binomial)
        tests.append(("membership_tpr_at_1pct_fpr", tpr, tpr_limit, tpr > tpr_limit, "above"))
    return _decided(tests, "membership_auc")


def memorization(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _memorization(current, baseline, healthy, t)


def membership_exposure(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _membership_exposure(current, healthy, t)
