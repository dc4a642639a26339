"""The mixing sweep's rule (issue 29): ``safe_share_decline``, the safe synthetic share of a
version against its baseline's.

``safe_synthetic_share`` is the largest share of a version's rows a model can take in training
before its score on real rows leaves the all-real score's tolerance
(:mod:`collectors.gates.mixing`). The self-consuming-loop literature says this share shrinks as a
generator degrades: Alemohammad et al. 2023 (arXiv 2307.01850, sec. 3-5), Bertrand et al. 2024
(ICLR, "On the Stability of Iterative Retraining of Generative Models on their own Data",
Thm. 1: stability needs a generator close to the data and enough real data in the mix) and
Gerstgrasser et al. 2024 (arXiv 2404.01413, "Is Model Collapse Inevitable?"). The check breaches
when the share fell by at least ``safe_share_drop`` (absolute) *and* beyond its noise: the
version's bootstrap interval lies wholly below the baseline's (``safe_synthetic_share_high`` of
the version < ``safe_synthetic_share_low`` of the baseline; two 95 % intervals that do not
overlap, a test at about the 0.6 % level for equal widths, Schenker and Gentleman 2001, The
American Statistician 55(3): 182-186). Versions without the figures (no ``target``, or the
sweep switched off) are not judged.
"""

from __future__ import annotations

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import VersionFigures
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = ["FIGURE", "safe_share_decline"]

FIGURE = "safe_synthetic_share"


def safe_share_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Change: the safe synthetic share fell by ``safe_share_drop`` and beyond its interval."""
    value, anchor = current.figures.get(FIGURE), baseline.figures.get(FIGURE)
    if value is None or anchor is None:
        return NONE
    high = current.figures.get(f"{FIGURE}_high", value)
    low = baseline.figures.get(f"{FIGURE}_low", anchor)
    limit = anchor - t.safe_share_drop
    breached = bool(value <= limit and high < low)
    detail = ""
    if breached:
        detail = (
            f"safe synthetic share {anchor:.0%} -> {value:.0%} (interval up to {high:.0%}, "
            f"baseline's from {low:.0%})"
        )
    return breached, limit, value, detail, "safe synthetic share"
