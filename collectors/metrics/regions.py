"""Per-region coverage and density: where in the real data a generator stopped going.

A dropped mode hides in global coverage (losing 1 of 10 modes costs 0.1) but shows as a region
near 0. The real reference is partitioned once by k-means (seeded, so regions are stable across
versions); each real point carries its sample-level coverage and ball count from the PRDC pass.

Per-region density is the real-side form of Naeem et al.'s density: the synthetic points found in
the region's real balls over the number expected when synthetic and real share a distribution
(k M |R| / N, since each ball holds mass k/N on average). Summed over regions with weights |R|/N it
gives the global density exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

__all__ = [
    "MIN_REGION_ROWS",
    "MIN_REGION_SHARE",
    "RegionStats",
    "fit_regions",
    "min_region_rows",
    "region_stats",
]

_FIT_ROWS = 20_000
# A region must hold enough real rows for its coverage to be more than one ball's luck: at least
# k + 1 rows (a k-NN ball's own support), MIN_REGION_ROWS (coverage of 20 rows at 0.97 has a
# binomial spread of 0.04) and MIN_REGION_SHARE of the reference.
MIN_REGION_ROWS = 20
MIN_REGION_SHARE = 0.01


@dataclass(frozen=True)
class RegionStats:
    """Coverage and density of each region, and the worst one."""

    sizes: np.ndarray
    coverage: np.ndarray
    density: np.ndarray

    @property
    def worst_region(self) -> int:
        return int(np.argmin(self.coverage))

    @property
    def worst_coverage(self) -> float:
        return float(self.coverage.min())

    @property
    def worst_rows(self) -> int:
        """Real rows in the worst-covered region (the noise of its coverage)."""
        return int(self.sizes[self.worst_region])


def min_region_rows(n: int, k: int) -> int:
    """Fewest real rows a region may hold (see ``MIN_REGION_ROWS``)."""
    return max(k + 1, MIN_REGION_ROWS, math.ceil(MIN_REGION_SHARE * n))


def fit_regions(real: np.ndarray, n_regions: int = 20, seed: int = 0, *, k: int = 5) -> np.ndarray:
    """Region label of each real point: seeded k-means (fitted on at most 20k rows).

    The number of regions is chosen from N: at most ``n_regions`` and at most
    N / :func:`min_region_rows`; k-means clusters still smaller than that are merged into the
    region of their points' next-nearest centre, so that no 1- or 2-row region decides the worst
    region coverage. Labels are 0..R-1, numbered by the order k-means found them.
    """
    if n_regions < 1:
        raise ValueError(f"n_regions must be >= 1, got {n_regions}")
    n = real.shape[0]
    smallest = min_region_rows(n, k)
    n_regions = max(1, min(n_regions, n // smallest))
    if n_regions == 1:
        return np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    fit_rows = real if n <= _FIT_ROWS else real[rng.choice(n, _FIT_ROWS, replace=False)]
    model = KMeans(n_clusters=n_regions, n_init=3, random_state=seed).fit(fit_rows)
    distances = model.transform(real)  # n x R distances to the centres
    alive = np.ones(n_regions, dtype=bool)
    while alive.sum() > 1:
        labels = np.where(alive, distances, np.inf).argmin(axis=1)
        sizes = np.bincount(labels, minlength=n_regions)
        small = np.flatnonzero(alive & (sizes < smallest))
        if small.size == 0:
            break
        alive[small[np.argmin(sizes[small])]] = False  # merge the smallest first
    labels = np.where(alive, distances, np.inf).argmin(axis=1)
    renumber = np.cumsum(alive) - 1
    return renumber[labels].astype(np.int64)


def region_stats(
    labels: np.ndarray, real_covered: np.ndarray, real_ball_synthetic: np.ndarray, k: int, m: int
) -> RegionStats:
    """Coverage (Naeem et al. 2020, eq. 4) and real-side density per region."""
    n_regions = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=n_regions).astype(np.float64)
    covered = np.bincount(labels, weights=real_covered, minlength=n_regions)
    found = np.bincount(labels, weights=real_ball_synthetic, minlength=n_regions)
    n = labels.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = covered / sizes
        density = found * n / (k * m * sizes)
    keep = sizes > 0
    return RegionStats(sizes[keep].astype(np.int64), coverage[keep], density[keep])
