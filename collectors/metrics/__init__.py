"""The metric math: pure functions and fitted models, numpy in, numbers out, no I/O.

Precision/recall/density/coverage, alpha-precision/beta-recall/authenticity, per-region
coverage, tails, drift statistics, the fitted real reference, and the catalog of metric names.
"""

from collectors.metrics.alphabeta import AlphaBeta, alpha_beta_authenticity
from collectors.metrics.catalog import BY_NAME, CORPUS_METRICS, GENERATOR_METRICS, RELATIVE_METRICS
from collectors.metrics.drift import correlation_difference, ks_statistics, mmd_rbf, total_variation
from collectors.metrics.fidelity import PRDC, prdc
from collectors.metrics.reference import DCR, DCR_QUANTILE, FidelityResult, ReferenceModel
from collectors.metrics.regions import RegionStats
from collectors.metrics.tails import categorical_tails, numeric_tail_frequency, summarize_tails

__all__ = [
    "BY_NAME",
    "CORPUS_METRICS",
    "DCR",
    "DCR_QUANTILE",
    "GENERATOR_METRICS",
    "PRDC",
    "RELATIVE_METRICS",
    "AlphaBeta",
    "FidelityResult",
    "ReferenceModel",
    "RegionStats",
    "alpha_beta_authenticity",
    "categorical_tails",
    "correlation_difference",
    "ks_statistics",
    "mmd_rbf",
    "numeric_tail_frequency",
    "prdc",
    "summarize_tails",
    "total_variation",
]
