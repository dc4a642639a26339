"""Alpha-precision, beta-recall and authenticity (Alaa et al. 2022, ICML, arXiv 2102.08921).

Choices the paper leaves open, made here and why:
- Embedding: the identity on Tailwatch's feature space (standardised numeric columns, one-hot
  categoricals, or the user's own embedding vectors). The paper learns a one-class embedding; a
  monitor must give the same number for the same data on every run, so no network is trained.
- Centre: the real mean in that space (the paper's hypersphere centre); radii of the alpha-supports
  are quantiles of the real points' distances to it (the minimum-volume ball of mass alpha when the
  embedding is spherical). The synthetic beta-supports use the synthetic mean and quantiles of the
  distances of the real points' nearest synthetic points to it, as in the authors' code.
- beta side: a real point counts when its nearest synthetic point is no farther than its nearest
  real neighbour and that synthetic point lies in the synthetic beta-ball. For identical
  distributions half the real points pass the first test, so integrated beta-recall is about 0.5
  by construction: read it against the real-vs-real level, not against 1.
- Authenticity, the paper's rule (sec. 3.3, not synthcity's mis-indexed code, which also requires
  N = M): synthetic point j is authentic when its distance to its nearest real point i* exceeds
  the distance of i* to its own nearest real neighbour. A copied training row is never authentic.
- Integrated scores: IP = 1 - 2 * integral |P_alpha - alpha| d alpha (eq. 5), by the trapezoid
  rule over a 30-point grid on [0, 1] (a left Riemann sum, as in synthcity, can dip below 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectors.knn import CrossCounts, KnnEngine, Radii
from collectors.sources import check_pair

__all__ = ["AlphaBeta", "alpha_beta_authenticity", "alpha_beta_from_counts"]

GRID_POINTS = 30


@dataclass(frozen=True)
class AlphaBeta:
    """Curves, integrated scores and the per-synthetic-sample authenticity flag."""

    alphas: np.ndarray
    alpha_precision_curve: np.ndarray
    beta_recall_curve: np.ndarray
    alpha_precision: float
    beta_recall: float
    authenticity: float
    authentic: np.ndarray  # (M,) bool

    def as_dict(self) -> dict[str, float]:
        return {
            "alpha_precision": self.alpha_precision,
            "beta_recall": self.beta_recall,
            "authenticity": self.authenticity,
        }


def _integrated(curve: np.ndarray, grid: np.ndarray) -> float:
    """Alaa et al. eq. 5: 1 - 2 * integral |curve - grid| (trapezoid rule; stays in [0, 1])."""
    return float(1.0 - 2.0 * np.trapezoid(np.abs(curve - grid), grid))


def reference_alpha_radii(real_centred: np.ndarray, grid_points: int = GRID_POINTS) -> np.ndarray:
    """The alpha-support radii (Alaa et al. 2022, sec. 3; the module's choices): quantiles at
    ``linspace(0, 1, grid_points)`` of the real rows' distances to the real mean, the reference's
    side of alpha-precision."""
    grid = np.linspace(0.0, 1.0, grid_points)
    return np.quantile(np.linalg.norm(real_centred, axis=1), grid)


def alpha_beta_from_counts(
    real_centred: np.ndarray,
    synthetic_centred: np.ndarray,
    real_radii: Radii,
    counts: CrossCounts,
    grid_points: int = GRID_POINTS,
    alpha_radii: np.ndarray | None = None,
) -> AlphaBeta:
    """The three figures from distances the PRDC pass already found (no new distance product).

    ``real_centred`` and ``synthetic_centred`` are shifted by the real mean (the alpha centre).
    ``alpha_radii``: :func:`reference_alpha_radii` of ``real_centred``, when one reference meets
    many samples.
    """
    grid = np.linspace(0.0, 1.0, grid_points)
    synthetic_to_centre = np.linalg.norm(synthetic_centred, axis=1)
    if alpha_radii is None:
        alpha_radii = reference_alpha_radii(real_centred, grid_points)
    precision_curve = (synthetic_to_centre[:, None] <= alpha_radii[None, :]).mean(axis=0)

    synthetic_centre = synthetic_centred.mean(axis=0)
    closest = synthetic_centred[counts.real_nearest_index]
    closest_to_centre = np.linalg.norm(closest - synthetic_centre, axis=1)
    beta_radii = np.quantile(closest_to_centre, grid)
    nearer = counts.real_nearest_distance <= real_radii.nearest_distance
    recall_curve = (nearer[:, None] & (closest_to_centre[:, None] <= beta_radii[None, :])).mean(
        axis=0
    )

    nearest_real = counts.synthetic_nearest_index
    authentic = counts.synthetic_nearest_distance > real_radii.nearest_distance[nearest_real]
    return AlphaBeta(
        alphas=grid,
        alpha_precision_curve=precision_curve,
        beta_recall_curve=recall_curve,
        alpha_precision=_integrated(precision_curve, grid),
        beta_recall=_integrated(recall_curve, grid),
        authenticity=float(authentic.mean()),
        authentic=authentic,
    )


def alpha_beta_authenticity(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    grid_points: int = GRID_POINTS,
    engine: KnnEngine | None = None,
) -> AlphaBeta:
    """Alpha-precision, beta-recall and authenticity of ``synthetic`` against ``real``.

    Alaa et al. 2022, ICML: alpha-precision P_alpha = share of synthetic samples inside the real
    alpha-support (eq. 3), beta-recall R_beta = share of real samples inside the synthetic
    beta-support (eq. 4), integrated scores (eq. 5), authenticity (sec. 3.3). N and M may differ.
    """
    real, synthetic = check_pair(real, synthetic, k=1)
    engine = engine or KnnEngine()
    centre = real.mean(axis=0)
    real_c, synthetic_c = real - centre, synthetic - centre
    tolerance = engine.tolerance_sq(real_c, synthetic_c)
    real_radii = engine.radii(real_c, 1, tolerance_sq=tolerance)
    synthetic_radii = engine.radii(synthetic_c, 1, tolerance_sq=tolerance)
    counts = engine.cross(
        real_c, real_radii, synthetic_c, synthetic_radii, real_radii.radius_sq, tie_aware=False
    )
    return alpha_beta_from_counts(real_c, synthetic_c, real_radii, counts, grid_points)
