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
baseline's share lies above the version's bootstrap interval (``safe_synthetic_share_high`` of
the version < ``safe_synthetic_share`` of the baseline; a one-sided test at about the 2.5 % level
of the version's share against the baseline's, taken as fixed: the percentile interval read as a
test, Efron and Tibshirani 1993, An Introduction to the Bootstrap, ch. 16). Requiring the two
intervals apart (Schenker and Gentleman 2001, a test at about the 0.6 % level) was too weak for
this discrete, skewed figure: fresh real rows' intervals reached down to 0.10 on two of three
splits of statsmodels' fair table, so a version with every label shuffled (0.10, interval up to
0.10) breached on one split of three (benchmarks/README.md, mixing section); the drop and the
alert's two versions in a row guard against the baseline's own noise. Versions without the
figures (no ``target``, or the sweep switched off) are not judged.
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
    """Change: the safe synthetic share fell by ``safe_share_drop`` and the baseline's share lies
    above the version's interval."""
    value, anchor = current.figures.get(FIGURE), baseline.figures.get(FIGURE)
    if value is None or anchor is None:
        return NONE
    high = current.figures.get(f"{FIGURE}_high", value)
    limit = anchor - t.safe_share_drop
    breached = bool(value <= limit and high < anchor)
    detail = ""
    if breached:
        detail = f"safe synthetic share {anchor:.0%} -> {value:.0%} (interval up to {high:.0%})"
    return breached, limit, value, detail, "safe synthetic share"
