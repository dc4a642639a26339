"""Precision, recall, density and coverage (Naeem et al. 2020), plus their clipped versions.

Pure functions: numpy arrays in, numbers and per-sample arrays out; no I/O. The distance work is
done by :class:`collectors.knn.engine.KnnEngine` (exact, memory-bounded); this module is the paper's
formulas on top of it, with the names the paper uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from scipy.stats import betabinom

from collectors.knn import CrossCounts, KnnEngine, Radii
from collectors.sources import check_pair

TieMode = Literal["auto", "strict", "aware"]

__all__ = ["PRDC", "TieMode", "clipped_coverage_calibration", "prdc", "prdc_from_counts"]


@dataclass(frozen=True)
class PRDC:
    """Naeem et al.'s four figures, the clipped pair, and the sample-level results behind them."""

    precision: float
    recall: float
    density: float
    coverage: float
    clipped_density: float
    clipped_coverage: float
    k: int
    tie_aware: bool
    real_covered: np.ndarray  # (N,) 1 when the real point's ball holds a synthetic point
    synthetic_ball_count: np.ndarray  # (M,) how many real balls hold each synthetic point
    real_ball_synthetic: np.ndarray  # (N,) how many synthetic points each real ball holds

    def as_dict(self) -> dict[str, float]:
        """The six scalar figures by catalog name."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "density": self.density,
            "coverage": self.coverage,
            "clipped_density": self.clipped_density,
            "clipped_coverage": self.clipped_coverage,
        }


class TiedRadii(Protocol):
    """What :func:`resolve_ties` reads of a set's radii (:class:`Radii`, or a holdout draw's
    :class:`collectors.knn.draws.Draw`)."""

    @property
    def has_ties(self) -> bool: ...


def resolve_ties(mode: TieMode, *radii: TiedRadii) -> bool:
    """Whether to use tie-aware balls: ``auto`` turns them on only when some radius is tied."""
    if mode == "strict":
        return False
    if mode == "aware":
        return True
    if mode != "auto":
        raise ValueError(f"ties must be 'auto', 'strict' or 'aware', got {mode!r}")
    return any(r.has_ties for r in radii)


def clipped_radius_sq(real_radii: Radii) -> np.ndarray:
    """Squared real radii clipped at the median radius (Salvy et al. 2025, sec. 4.1: outlier
    balls shrink to a typical size)."""
    median = np.median(real_radii.radius)
    return np.where(real_radii.radius <= median, real_radii.radius_sq, median**2)


def clipped_coverage_calibration(n_real: int, n_synthetic: int, k: int) -> np.ndarray:
    """Expected raw clipped coverage when ``g`` of the M synthetic samples are good, g = 0..M.

    Salvy et al. 2025, sec. 4.2: the mass of a real k-NN ball is Beta(k, N - k), so the number J of
    good synthetic samples inside it is beta-binomial(g, k, N - k), and the raw score is
    E[min(J, k)] / k. Computed exactly for every g (the authors' code sets g < k to 0).
    """
    good = np.arange(n_synthetic + 1)
    below_k = np.arange(k)[:, None]
    pmf = betabinom.pmf(below_k, good[None, :], k, n_real - k)
    expected_min = (below_k * pmf).sum(axis=0) + k * (1.0 - pmf.sum(axis=0))
    return expected_min / k


def prdc_from_counts(
    real_radii: Radii,
    counts: CrossCounts,
    *,
    tie_aware: bool,
    clipped_sq: np.ndarray,
    calibration: np.ndarray | None = None,
) -> PRDC:
    """Naeem et al. 2020 eqs. 1-4 and Salvy et al. 2025 eqs. 5-6 from one pass of ball counts.

    - precision = (1/M) sum_j 1[exists i: D_ij < r_i]                    (eq. 1)
    - recall    = (1/N) sum_i 1[exists j: D_ij < s_j]                    (eq. 2)
    - density   = (1/(kM)) sum_j sum_i 1[D_ij < r_i]                     (eq. 3)
    - coverage  = (1/N) sum_i 1[min_j D_ij < r_i]                         (eq. 4)
    - clipped density: each synthetic sample contributes min(count/k, 1) over closed balls whose
      radii are clipped at the median radius, normalised by the same score of the real set itself
      and clipped to 1;
    - clipped coverage: mean over real balls of min(count/k, 1), mapped through the calibration
      curve to the equivalent share of good samples.
    """
    k = real_radii.k
    n = real_radii.radius.shape[0]
    m = counts.synthetic_in_real_balls.shape[0]
    synthetic_score = np.minimum(counts.synthetic_in_clipped_balls / k, 1.0).mean()
    neighbours = real_radii.neighbours
    in_clipped = neighbours.squared <= clipped_sq[:, None]
    real_counts = np.bincount(neighbours.indices[in_clipped], minlength=n)
    real_score = np.minimum(real_counts / k, 1.0).mean()
    clipped_density = min(synthetic_score / real_score, 1.0) if real_score > 0 else 0.0
    raw_coverage = np.minimum(counts.real_ball_synthetic / k, 1.0).mean()
    curve = calibration if calibration is not None else clipped_coverage_calibration(n, m, k)
    clipped_coverage = float(np.searchsorted(curve, raw_coverage) / curve.shape[0])
    return PRDC(
        precision=float(counts.synthetic_in_any_ball.mean()),
        recall=float(counts.real_recalled.mean()),
        density=float(counts.synthetic_in_real_balls.sum() / (k * m)),
        coverage=float(counts.real_ball_covered.mean()),
        clipped_density=float(clipped_density),
        clipped_coverage=clipped_coverage,
        k=k,
        tie_aware=tie_aware,
        real_covered=counts.real_ball_covered,
        synthetic_ball_count=counts.synthetic_in_real_balls,
        real_ball_synthetic=counts.real_ball_synthetic,
    )


def prdc(
    real: np.ndarray,
    synthetic: np.ndarray,
    k: int = 5,
    *,
    ties: TieMode = "auto",
    engine: KnnEngine | None = None,
) -> PRDC:
    """Precision, recall, density, coverage (Naeem et al. 2020, ICML, eqs. 1-4) and clipped
    density and coverage (Salvy et al. 2025, arXiv 2507.01761).

    Euclidean distances; each point's radius is the distance to its k-th nearest other point of
    its own set; real radii for precision, density and coverage, synthetic radii for recall;
    strict ``<``. On continuous data the four values equal the reference ``prdc`` 0.2 package's.
    ``ties``: ``auto`` (default) switches to tie-aware balls only when some radius is tied, as on
    one-hot or repeated values where strict ``<`` collapses every metric towards 0 (see
    :mod:`collectors.knn.engine`); ``strict`` always reproduces the reference; ``aware`` always
    weighs
    ties.
    """
    real, synthetic = check_pair(real, synthetic, k=k)
    engine = engine or KnnEngine()
    centre = real.mean(axis=0)
    real_c, synthetic_c = real - centre, synthetic - centre
    tolerance = engine.tolerance_sq(real_c, synthetic_c)
    real_radii = engine.radii(real_c, k, tolerance_sq=tolerance)
    synthetic_radii = engine.radii(synthetic_c, k, tolerance_sq=tolerance)
    tie_aware = resolve_ties(ties, real_radii, synthetic_radii)
    clipped = clipped_radius_sq(real_radii)
    counts = engine.cross(
        real_c, real_radii, synthetic_c, synthetic_radii, clipped, tie_aware=tie_aware
    )
    return prdc_from_counts(real_radii, counts, tie_aware=tie_aware, clipped_sq=clipped)
