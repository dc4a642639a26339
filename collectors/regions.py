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

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

__all__ = ["RegionStats", "fit_regions", "region_stats"]

_FIT_ROWS = 20_000


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


def fit_regions(real: np.ndarray, n_regions: int = 20, seed: int = 0) -> np.ndarray:
    """Region label of each real point: seeded k-means (fitted on at most 20k rows)."""
    if n_regions < 1:
        raise ValueError(f"n_regions must be >= 1, got {n_regions}")
    n = real.shape[0]
    n_regions = min(n_regions, n)
    rng = np.random.default_rng(seed)
    fit_rows = real if n <= _FIT_ROWS else real[rng.choice(n, _FIT_ROWS, replace=False)]
    model = KMeans(n_clusters=n_regions, n_init=3, random_state=seed).fit(fit_rows)
    return model.predict(real).astype(np.int64)


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
