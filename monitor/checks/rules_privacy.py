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


def memorization(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _memorization(current, baseline, healthy, t)


def membership_exposure(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _membership_exposure(current, healthy, t)
