"""What the k-NN backends return: neighbours, radii with their ties, and real x synthetic counts.

Shared by the BLAS engine (:mod:`collectors.knn.engine`) and the KD-tree backend
(:mod:`collectors.knn.tree`), so neither imports the other's types. The tie semantics are the
engine module's (Naeem et al. 2020 balls; boundary weights where distances tie).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CrossCounts", "Neighbours", "Radii", "membership_probability"]


@dataclass(frozen=True)
class Neighbours:
    """The ``m`` nearest points of each query row: exact distances (ascending) and indices."""

    distances: np.ndarray
    indices: np.ndarray
    squared: np.ndarray  # the squared distances as computed (compare these, not distances**2)


@dataclass(frozen=True)
class Radii:
    """k-NN balls of a point set: radius of each point and the tie structure at that radius."""

    k: int
    radius: np.ndarray  # distance to the k-th nearest other point
    radius_sq: (
        np.ndarray
    )  # its square, as computed (never re-squared from the root: ties stay exact)
    below: np.ndarray  # other points strictly inside the radius
    ties: np.ndarray  # other points at the radius (within the tie tolerance)
    neighbours: Neighbours  # the k nearest other points
    tolerance: float  # absolute tolerance on squared distances that defines a tie

    @property
    def has_ties(self) -> bool:
        """True when some radius is shared by several points, or is zero (duplicates)."""
        return bool(np.any(self.ties > 1) or np.any(self.radius_sq <= self.tolerance))

    @property
    def boundary_weight(self) -> np.ndarray:
        """Weight of a point lying exactly at the radius (see module docstring)."""
        return (self.k - self.below) / (self.ties + 1.0)

    @property
    def nearest_distance(self) -> np.ndarray:
        """Distance of each point to its nearest other point."""
        return self.neighbours.distances[:, 0]


@dataclass(frozen=True)
class CrossCounts:
    """Everything the metrics need from the real x synthetic distances, per sample.

    Weights are 1 inside a ball, the boundary weight on it, 0 outside (see :class:`Radii`). The
    "probability" fields treat boundary memberships as independent events: 1 - prod(1 - w). With
    no ties every weight is 0 or 1 and they are plain indicators, as in Naeem et al.
    """

    synthetic_in_real_balls: np.ndarray  # (M,) summed weight over real balls (density)
    synthetic_in_any_ball: np.ndarray  # (M,) probability some real ball holds it (precision)
    synthetic_in_clipped_balls: np.ndarray  # (M,) closed clipped real balls holding it
    real_ball_synthetic: np.ndarray  # (N,) summed weight of synthetic points in its ball
    real_ball_covered: np.ndarray  # (N,) probability its ball holds a synthetic point (coverage)
    real_recalled: np.ndarray  # (N,) probability some synthetic ball holds it (recall)
    real_nearest_distance: np.ndarray  # (N,) distance to nearest synthetic point
    real_nearest_index: np.ndarray
    synthetic_nearest_distance: np.ndarray  # (M,) distance to nearest real point
    synthetic_nearest_index: np.ndarray


def membership_probability(log_miss: np.ndarray) -> np.ndarray:
    """1 - prod(1 - w) from the accumulated sum of log(1 - w) (-inf: certainly a member)."""
    return -np.expm1(log_miss)
