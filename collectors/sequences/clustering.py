"""How much sampling whole entities widens the noise of a share (issue 28). Pure: arrays in,
numbers out.

A sequence generator's version, its baseline and its healthy draws take whole entities
(:mod:`collectors.sources.entities`), so a row-level share -- the share of rows beyond a tail
threshold, the share of rows in rare categories -- is a mean over clusters, not over independent
rows: the rows of one country's fertility panel lie beyond the reference's upper 1 % threshold
together or not at all. Its variance is the binomial one times the design effect (Kish 1965,
Survey Sampling, sec. 5.4, eq. 5.4.1, ``deff = 1 + (m - 1) rho``), with ``rho`` the intra-class
correlation of the row indicator and ``m`` the cluster size; for unequal clusters ``m`` is the
size-weighted mean ``sum n_i^2 / sum n_i`` (Eldridge, Ashby & Kerry 2006, Int. J. Epidemiol.
35:1292, eq. 3, ``1 + ((cv^2 + 1) m_bar - 1) rho``). Dividing a row count by it gives the
effective number of independent rows the two-proportion tests of the tail and rare-category
checks use (:mod:`monitor.checks.rules_tails`).

``rho`` is the one-way ANOVA estimator for a binary indicator with unequal cluster sizes (Fleiss
1981, Statistical Methods for Rates and Proportions, 2nd ed., sec. 13.2; Donner 1986, Int. Stat.
Rev. 54:67, eq. 2.2): ``(MSB - MSW) / (MSB + (n0 - 1) MSW)``, ``n0 = (N - sum n_i^2 / N) /
(K - 1)``, clipped at 0 (a negative estimate: no clustering).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "beyond",
    "cluster_sizes",
    "design_effect",
    "intraclass_correlation",
    "tail_design_effect",
    "tail_intraclass_correlation",
]


def cluster_sizes(groups: np.ndarray) -> np.ndarray:
    """Rows per distinct key of ``groups`` (any hashable keys, in the order of their text)."""
    if len(groups) == 0:
        return np.zeros(0, dtype=float)
    _, counts = np.unique(np.asarray(groups, dtype=str), return_counts=True)
    return counts.astype(float)


def intraclass_correlation(indicator: np.ndarray, groups: np.ndarray) -> float:
    """ANOVA intra-class correlation of the 0/1 ``indicator`` within ``groups`` (same length),
    in [0, 1]; 0 with fewer than 2 groups, no within-group rows, or a constant indicator."""
    x = np.asarray(indicator, dtype=float)
    if len(x) == 0:
        return 0.0
    _, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    sizes = np.bincount(codes).astype(float)
    hits = np.bincount(codes, weights=x)
    k, n = len(sizes), float(len(x))
    if k < 2 or n - k <= 0:
        return 0.0
    p_i = hits / sizes
    p = float(x.mean())
    msb = float((sizes * (p_i - p) ** 2).sum()) / (k - 1)
    msw = float((sizes * p_i * (1.0 - p_i)).sum()) / (n - k)
    n0 = (n - float((sizes**2).sum()) / n) / (k - 1)
    denominator = msb + (n0 - 1.0) * msw
    if denominator <= 0.0:
        return 0.0
    return float(min(max((msb - msw) / denominator, 0.0), 1.0))


def design_effect(rho: float, sizes: np.ndarray) -> float:
    """Kish's design effect of cluster sampling with intra-class correlation ``rho`` and cluster
    sizes ``sizes``: ``1 + (sum n_i^2 / sum n_i - 1) rho`` (1 for no rows or rho = 0)."""
    n = np.asarray(sizes, dtype=float)
    total = float(n.sum())
    if total <= 0.0 or rho <= 0.0:
        return 1.0
    weighted = float((n**2).sum()) / total
    return 1.0 + max(weighted - 1.0, 0.0) * rho


def beyond(values: np.ndarray, threshold: float, side: str) -> np.ndarray:
    """0/1 rows of the finite ``values`` strictly beyond ``threshold`` (``side``: lower/upper),
    as :func:`collectors.metrics.tails.numeric_tail_frequency` counts them."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    return (x < threshold) if side == "lower" else (x > threshold)


def tail_design_effect(rho: float, values: np.ndarray, groups: np.ndarray) -> float:
    """The design effect of a tail share of ``values`` (NaN rows left out, as the tail figures
    count observed values only) sampled by the entities ``groups``."""
    observed = np.isfinite(np.asarray(values, dtype=float))
    return design_effect(rho, cluster_sizes(np.asarray(groups)[observed]))


def tail_intraclass_correlation(
    values: np.ndarray, groups: np.ndarray, threshold: float, side: str
) -> float:
    """:func:`intraclass_correlation` of the rows beyond ``threshold`` within ``groups``, on the
    finite ``values``."""
    observed = np.isfinite(np.asarray(values, dtype=float))
    return intraclass_correlation(beyond(values, threshold, side), np.asarray(groups)[observed])
