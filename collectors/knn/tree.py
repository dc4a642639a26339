"""Exact KD-tree backend of :mod:`collectors.knn.engine` for low dimension (scikit-learn's
``KDTree``).

In low dimension a tree visits a tiny share of the N x M pairs that a brute-force product must
touch. scikit-learn's radius queries accept one radius per query point, which is exactly what
k-NN balls need. Distances are computed directly in float64. Same outputs as the BLAS backend.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KDTree

from collectors.knn.types import CrossCounts, membership_probability

_CHUNK = 4096


def self_knn(
    points: np.ndarray, k: int, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """k nearest other points of each point, with the counts below and at the k-th radius."""
    n = points.shape[0]
    tree = KDTree(points)
    dist, index = tree.query(points, k=min(k + 1, n))
    rows = np.arange(n)
    is_self = index == rows[:, None]
    # Drop the point itself; when duplicates hide it, drop the farthest instead.
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), dist.shape[1] - 1)
    keep = np.ones_like(is_self)
    keep[rows, drop] = False
    dist = dist[keep].reshape(n, -1)[:, :k]
    index = index[keep].reshape(n, -1)[:, :k]
    dist_sq = dist**2
    radius_sq = dist_sq[:, k - 1]
    upper = tree.query_radius(points, np.sqrt(radius_sq + tol), count_only=True) - 1
    low_sq = radius_sq - tol
    lower = np.zeros(n, dtype=np.int64)
    positive = low_sq > 0
    if positive.any():
        # Points with d^2 < r^2 - tol: strictly below the tie band (self excluded).
        radius = np.nextafter(np.sqrt(low_sq[positive]), 0)
        lower[positive] = tree.query_radius(points[positive], radius, count_only=True) - 1
    return dist_sq, index.astype(np.int64), lower, upper - lower


def cross_knn(queries: np.ndarray, points: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The m nearest points of each query (squared distances, indices)."""
    dist, index = KDTree(points).query(queries, k=m)
    return dist**2, index.astype(np.int64)


def _weights(d_sq: np.ndarray, r_sq: np.ndarray, w: np.ndarray, tol: float) -> np.ndarray:
    inside = d_sq < r_sq - tol
    boundary = ~inside & (d_sq <= r_sq + tol)
    return np.where(inside, 1.0, np.where(boundary, w, 0.0))


def _log_miss(w: np.ndarray) -> np.ndarray:
    """log(1 - w): -inf for certain membership, so sums of it give log P(no membership)."""
    with np.errstate(divide="ignore"):
        return np.log1p(-w)


def _pairs(tree: KDTree, queries: np.ndarray, radius: np.ndarray, start: int):
    index, dist = tree.query_radius(queries, radius, return_distance=True)
    lengths = np.fromiter((len(a) for a in index), dtype=np.int64, count=len(index))
    rows = np.repeat(np.arange(start, start + len(index)), lengths)
    if lengths.sum() == 0:
        return rows, np.empty(0, dtype=np.int64), np.empty(0)
    return rows, np.concatenate(index).astype(np.int64), np.concatenate(dist) ** 2


def cross(
    real: np.ndarray,
    synthetic: np.ndarray,
    real_radius_sq: np.ndarray,
    real_weight: np.ndarray,
    real_clipped_sq: np.ndarray,
    synthetic_radius_sq: np.ndarray,
    synthetic_weight: np.ndarray,
    tol: float,
) -> CrossCounts:
    """Ball memberships between real and synthetic, pair lists bounded by chunking."""
    n, m = real.shape[0], synthetic.shape[0]
    real_tree, syn_tree = KDTree(real), KDTree(synthetic)
    syn_ball, syn_miss, syn_clipped = np.zeros(m), np.zeros(m), np.zeros(m)
    real_sum, real_miss, recall_miss = np.zeros(n), np.zeros(n), np.zeros(n)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        radius = np.sqrt(real_radius_sq[start:stop] + tol)
        i, j, d_sq = _pairs(syn_tree, real[start:stop], radius, start)
        w = _weights(d_sq, real_radius_sq[i], real_weight[i], tol)
        miss = _log_miss(w)
        syn_ball += np.bincount(j, weights=w, minlength=m)
        syn_miss += np.bincount(j, weights=miss, minlength=m)
        syn_clipped += np.bincount(j[d_sq <= real_clipped_sq[i]], minlength=m)
        real_sum += np.bincount(i, weights=w, minlength=n)
        real_miss += np.bincount(i, weights=miss, minlength=n)
    for start in range(0, m, _CHUNK):
        stop = min(m, start + _CHUNK)
        radius = np.sqrt(synthetic_radius_sq[start:stop] + tol)
        j, i, d_sq = _pairs(real_tree, synthetic[start:stop], radius, start)
        w = _weights(d_sq, synthetic_radius_sq[j], synthetic_weight[j], tol)
        recall_miss += np.bincount(i, weights=_log_miss(w), minlength=n)
    real_nearest, real_nearest_index = syn_tree.query(real, k=1)
    syn_nearest, syn_nearest_index = real_tree.query(synthetic, k=1)
    return CrossCounts(
        synthetic_in_real_balls=syn_ball,
        synthetic_in_any_ball=membership_probability(syn_miss),
        synthetic_in_clipped_balls=syn_clipped,
        real_ball_synthetic=real_sum,
        real_ball_covered=membership_probability(real_miss),
        real_recalled=membership_probability(recall_miss),
        real_nearest_distance=real_nearest[:, 0],
        real_nearest_index=real_nearest_index[:, 0].astype(np.int64),
        synthetic_nearest_distance=syn_nearest[:, 0],
        synthetic_nearest_index=syn_nearest_index[:, 0].astype(np.int64),
    )
