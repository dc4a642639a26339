"""Numba kernels that post-process one block of BLAS inner products in a single fused pass.

The distance products themselves are BLAS matrix products (``x @ y.T``); these kernels turn a block
of products into squared distances on the fly (``|x|^2 + |y|^2 - 2 x.y``) and do everything the
metrics need from it in one sweep, so the block is read once and never materialised as distances.
A product computed in float32 carries a rounding error; every comparison whose outcome that error
could change (it lies inside a guard band) is redone exactly in float64 from the original rows,
so the float32 path decides every comparison exactly as the float64 one would.

Private module: :mod:`collectors.knn` is the interface.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_INF = np.inf


@nb.njit(cache=True, inline="always")
def exact_squared_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Squared Euclidean distance computed directly (no cancellation) in float64."""
    total = 0.0
    for t in range(a.shape[0]):
        diff = a[t] - b[t]
        total += diff * diff
    return total


@nb.njit(nogil=True, cache=True)
def topk_block(
    products: np.ndarray,
    query_norms: np.ndarray,
    point_norms: np.ndarray,
    row_offset: int,
    col_offset: int,
    exclude_self: bool,
    best_sq: np.ndarray,
    best_index: np.ndarray,
) -> None:
    """Merge one product block into each query row's running candidate list (ascending, by index).

    ``best_sq``/``best_index`` (rows x candidates) hold approximate squared distances; ties keep the
    lower index first, so the result does not depend on the block layout.
    """
    rows, cols = products.shape
    n_cand = best_sq.shape[1]
    for b in range(rows):
        q_norm = query_norms[b]
        worst = best_sq[b, n_cand - 1]
        self_index = row_offset + b
        for c in range(cols):
            j = col_offset + c
            if exclude_self and j == self_index:
                continue
            value = q_norm + point_norms[j] - 2.0 * products[b, c]
            if value < worst:
                pos = n_cand - 1
                while pos > 0 and best_sq[b, pos - 1] > value:
                    best_sq[b, pos] = best_sq[b, pos - 1]
                    best_index[b, pos] = best_index[b, pos - 1]
                    pos -= 1
                best_sq[b, pos] = value
                best_index[b, pos] = j
                worst = best_sq[b, n_cand - 1]


@nb.njit(cache=True, inline="always")
def _band_counts(values: np.ndarray, radius_sq: float, tol_sq: float) -> tuple[int, int]:
    """Values strictly below the tie band around ``radius_sq``, and values inside it."""
    below = 0
    ties = 0
    for value in values:
        if value < radius_sq - tol_sq:
            below += 1
        elif value <= radius_sq + tol_sq:
            ties += 1
    return below, ties


@nb.njit(nogil=True, cache=True)
def refine_topk(
    queries: np.ndarray,
    points: np.ndarray,
    query_offset: int,
    exclude_self: bool,
    cand_sq: np.ndarray,
    cand_index: np.ndarray,
    guard: np.ndarray,
    keep: int,
    tie_tolerance_sq: float,
    out_sq: np.ndarray,
    out_index: np.ndarray,
    out_below: np.ndarray,
    out_ties: np.ndarray,
) -> None:
    """Turn approximate candidates into exact neighbours, radii and tie counts.

    For each row: recompute the candidates' squared distances exactly, sort them, keep the first
    ``keep``. The list is provably complete when the largest approximate candidate, minus its
    error ``guard``, lies beyond the exact radius plus the tie tolerance; otherwise the row is
    redone by an exact scan over every point. ``out_below`` counts points strictly closer than
    the radius (the ``keep``-th distance), ``out_ties`` those within the tie tolerance of it.
    """
    rows = cand_sq.shape[0]
    n_cand = cand_sq.shape[1]
    n_points = points.shape[0]
    for b in range(rows):
        i = query_offset + b
        exact = np.empty(n_cand)
        order_index = np.empty(n_cand, dtype=np.int64)
        valid = 0
        for c in range(n_cand):
            j = cand_index[b, c]
            if j < 0:
                continue
            exact[valid] = exact_squared_distance(queries[b], points[j])
            order_index[valid] = j
            valid += 1
        order = np.argsort(exact[:valid], kind="mergesort")
        radius_sq = exact[order[keep - 1]]
        complete = (
            valid >= n_points - (1 if exclude_self else 0)
            or cand_sq[b, n_cand - 1] - guard[b] > radius_sq + tie_tolerance_sq
        )
        if complete:
            below, ties = _band_counts(exact[:valid], radius_sq, tie_tolerance_sq)
            for t in range(keep):
                out_sq[b, t] = exact[order[t]]
                out_index[b, t] = order_index[order[t]]
        else:
            row = np.empty(n_points)
            for j in range(n_points):
                if exclude_self and j == i:
                    row[j] = _INF
                else:
                    row[j] = exact_squared_distance(queries[b], points[j])
            full_order = np.argsort(row, kind="mergesort")
            radius_sq = row[full_order[keep - 1]]
            below, ties = _band_counts(row, radius_sq, tie_tolerance_sq)
            for t in range(keep):
                out_sq[b, t] = row[full_order[t]]
                out_index[b, t] = full_order[t]
        out_below[b] = below
        out_ties[b] = ties


@nb.njit(cache=True, inline="always")
def _ball_weight(
    approx: float, radius_sq: float, weight: float, tol_sq: float, exact_sq: float
) -> float:
    """Membership of a point in a ball: 1 inside, ``weight`` on the boundary (ties), 0 outside.

    ``exact_sq`` < 0 means "not computed yet"; the caller computes it only inside the guard band.
    """
    value = approx if exact_sq < 0.0 else exact_sq
    if value < radius_sq - tol_sq:
        return 1.0
    if value <= radius_sq + tol_sq:
        return weight
    return 0.0


@nb.njit(nogil=True, cache=True)
def cross_block(
    products: np.ndarray,
    real: np.ndarray,
    synthetic: np.ndarray,
    real_norms: np.ndarray,
    synthetic_norms: np.ndarray,
    row_offset: int,
    col_offset: int,
    guard_coefficient: float,
    real_radius_sq: np.ndarray,
    real_weight: np.ndarray,
    real_clipped_sq: np.ndarray,
    synthetic_radius_sq: np.ndarray,
    synthetic_weight: np.ndarray,
    tol_sq: float,
    syn_ball: np.ndarray,
    syn_miss: np.ndarray,
    syn_clipped: np.ndarray,
    syn_nearest_sq: np.ndarray,
    syn_nearest_index: np.ndarray,
    row_stats: np.ndarray,
    row_nearest_sq: np.ndarray,
    row_nearest_index: np.ndarray,
) -> None:
    """One fused pass over a real x synthetic product block (serial; callers run blocks in threads).

    Per synthetic column (in the caller's private accumulators): weighted count of real balls
    holding it (density), sum of log(1 - weight) over them (precision: the log-probability that no
    ball holds it), the count of clipped real balls holding it (closed balls, clipped density), and
    its nearest real row. Per real row (``row_stats[i]``): weighted count of synthetic points in its
    ball (coverage, clipped coverage), sum of log(1 - weight) over them (coverage), the same over
    synthetic balls holding it (recall); and its nearest synthetic column.
    """
    rows, cols = products.shape
    for b in range(rows):
        i = row_offset + b
        x_norm = real_norms[i]
        r_sq = real_radius_sq[i]
        r_w = real_weight[i]
        clip_sq = real_clipped_sq[i]
        ball_sum = row_stats[i, 0]
        ball_miss = row_stats[i, 1]
        recall_miss = row_stats[i, 2]
        best_sq = row_nearest_sq[i]
        best_j = row_nearest_index[i]
        for c in range(cols):
            j = col_offset + c
            scale = x_norm + synthetic_norms[j]
            approx = scale - 2.0 * products[b, c]
            if approx < syn_nearest_sq[j]:
                syn_nearest_sq[j] = approx
                syn_nearest_index[j] = i
            if approx < best_sq:
                best_sq = approx
                best_j = j
            guard = guard_coefficient * scale + tol_sq
            s_sq = synthetic_radius_sq[j]
            if approx > r_sq + guard and approx > s_sq + guard:
                continue  # outside both balls for certain: the common case
            exact = -1.0
            if (
                abs(approx - r_sq) <= guard
                or abs(approx - s_sq) <= guard
                or abs(approx - clip_sq) <= guard
            ):
                exact = exact_squared_distance(real[i], synthetic[j])
            w = _ball_weight(approx, r_sq, r_w, tol_sq, exact)
            if w > 0.0:
                miss = np.log1p(-w)  # -inf when w == 1: certainly inside
                syn_ball[j] += w
                syn_miss[j] += miss
                ball_sum += w
                ball_miss += miss
            value = approx if exact < 0.0 else exact
            if value <= clip_sq:
                syn_clipped[j] += 1.0
            ws = _ball_weight(approx, s_sq, synthetic_weight[j], tol_sq, exact)
            if ws > 0.0:
                recall_miss += np.log1p(-ws)
        row_stats[i, 0] = ball_sum
        row_stats[i, 1] = ball_miss
        row_stats[i, 2] = recall_miss
        row_nearest_sq[i] = best_sq
        row_nearest_index[i] = best_j


@nb.njit(parallel=True, cache=True)
def exact_pair_distances(
    left: np.ndarray, right: np.ndarray, left_index: np.ndarray, right_index: np.ndarray
) -> np.ndarray:
    """Exact Euclidean distances of the given row pairs."""
    n = left_index.shape[0]
    out = np.empty(n)
    for p in nb.prange(n):
        out[p] = np.sqrt(exact_squared_distance(left[left_index[p]], right[right_index[p]]))
    return out
