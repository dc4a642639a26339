"""Numba kernels of :mod:`collectors.knn.draws`: one draw's k-NN radii and ball counts assembled
from lists computed once for the whole holdout (private; the interface is ``draws``).

Every distance here is :func:`collectors.knn.kernels.exact_squared_distance` of the same two rows
the engine would compare (the engine decides every comparison on it), every comparison is the
engine's, and every sum is added in the engine's order, so the results are the engine's bits.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from collectors.knn.kernels import ball_weight, band_counts, exact_squared_distance

_INF = np.inf


@nb.njit(cache=True, inline="always")
def _add_miss(out: np.ndarray, i: int, weight: float, reps: int) -> None:
    """log(1 - weight) added to ``out[i]`` once per copy of a drawn point (the engine's order)."""
    if weight > 0.0:
        miss = np.log1p(-weight)
        for _ in range(reps):
            out[i] += miss


@nb.njit(cache=True)
def _radius_by_scan(
    h: int, counts: np.ndarray, distinct: np.ndarray, holdout: np.ndarray, k: int, tol: float
) -> tuple[float, int, int]:
    """Row ``h``'s k-NN radius in the draw by an exact scan over every other drawn point (the
    engine's fallback: the k-th smallest of the row, and its band counts)."""
    total = 0
    for g in distinct:
        total += counts[g]
    values = np.empty(total - 1)
    t = 0
    for _ in range(counts[h] - 1):  # the row's own copies, at distance 0
        values[t] = 0.0
        t += 1
    for g in distinct:
        if g == h:
            continue
        value = exact_squared_distance(holdout[h], holdout[g])
        for _ in range(counts[g]):
            values[t] = value
            t += 1
    values.sort()
    radius_sq = values[k - 1]
    below, ties = band_counts(values, radius_sq, tol)
    return radius_sq, below, ties


@nb.njit(cache=True)
def draw_radii(
    counts: np.ndarray,
    distinct: np.ndarray,
    self_sq: np.ndarray,
    self_index: np.ndarray,
    holdout: np.ndarray,
    k: int,
    tol: float,
    radius_sq: np.ndarray,
    below: np.ndarray,
    ties: np.ndarray,
) -> int:
    """Each drawn row's k-NN radius within the draw, with its band counts (``below``: other
    drawn points strictly inside ``radius - tol``, ``ties``: within ``tol`` of it), written at
    the row's holdout index. A row drawn c times has c - 1 copies at distance 0; the others come
    from the row's sorted list of nearest other holdout rows (``self_sq``/``self_index``), read
    until the k-th drawn point and past the band; a list too short for that (or for the k-th)
    is replaced by an exact scan. Returns the number of rows scanned."""
    n_list = self_sq.shape[1]
    whole = n_list >= holdout.shape[0] - 1  # the lists hold every other row
    scanned = 0
    for h in distinct:
        zeros = counts[h] - 1
        seen = zeros
        found = seen >= k
        r_sq = 0.0
        if not found:
            for t in range(n_list):
                g = self_index[h, t]
                if g < 0:
                    break
                if counts[g] > 0:
                    seen += counts[g]
                    if seen >= k:
                        r_sq = self_sq[h, t]
                        found = True
                        break
        covered = False
        n_below = 0
        n_ties = 0
        if found:
            low = r_sq - tol
            high = r_sq + tol
            if low > 0.0:
                n_below = zeros
            else:
                n_ties = zeros
            covered = whole
            for t in range(n_list):
                g = self_index[h, t]
                if g < 0:
                    covered = True
                    break
                value = self_sq[h, t]
                if value > high:
                    covered = True
                    break
                if counts[g] > 0:
                    if value < low:
                        n_below += counts[g]
                    else:
                        n_ties += counts[g]
        if not covered:
            r_sq, n_below, n_ties = _radius_by_scan(h, counts, distinct, holdout, k, tol)
            scanned += 1
        radius_sq[h] = r_sq
        below[h] = n_below
        ties[h] = n_ties
    return scanned


@nb.njit(cache=True)
def recall_miss(
    counts: np.ndarray,
    distinct: np.ndarray,
    near_sq: np.ndarray,
    near_index: np.ndarray,
    holdout: np.ndarray,
    real: np.ndarray,
    radius_sq: np.ndarray,
    weight: np.ndarray,
    tol: float,
    out: np.ndarray,
) -> int:
    """Per real row, the sum of log(1 - w) over the drawn points whose ball (radius
    ``radius_sq``, boundary ``weight``) holds it, added point by point in the draw's order (the
    engine's recall sums). Each drawn row's real points come from its sorted list of nearest real
    rows (``near_sq``/``near_index``) when the list reaches past its ball, else from an exact scan
    of the reference. Returns the number of rows scanned."""
    n_list = near_sq.shape[1]
    whole = n_list >= real.shape[0]
    scanned = 0
    for h in distinct:
        s_sq = radius_sq[h]
        w = weight[h]
        reps = counts[h]
        high = s_sq + tol
        if whole or near_sq[h, n_list - 1] > high:
            for t in range(n_list):
                value = near_sq[h, t]
                if value > high:
                    break
                _add_miss(out, near_index[h, t], ball_weight(value, s_sq, w, tol), reps)
        else:
            scanned += 1
            for i in range(real.shape[0]):
                value = exact_squared_distance(real[i], holdout[h])
                _add_miss(out, i, ball_weight(value, s_sq, w, tol), reps)
    return scanned


@nb.njit(cache=True)
def real_side(
    counts: np.ndarray,
    first_position: np.ndarray,
    distinct: np.ndarray,
    member_start: np.ndarray,
    member_row: np.ndarray,
    member_sq: np.ndarray,
    real_radius_sq: np.ndarray,
    real_weight: np.ndarray,
    tol: float,
    near_sq: np.ndarray,
    near_index: np.ndarray,
    holdout: np.ndarray,
    real: np.ndarray,
    ball_sum: np.ndarray,
    ball_miss: np.ndarray,
    nearest_sq: np.ndarray,
    nearest_position: np.ndarray,
) -> int:
    """Per real row: the weight of drawn points in its ball and the sum of log(1 - w) over them
    (coverage), added point by point in the draw's order, from the holdout rows in its ball
    (``member_*``, by holdout index); and its nearest drawn point (the first position at the
    smallest distance), from its sorted list of nearest holdout rows (``near_*``) or an exact scan
    of the draw when no drawn row is in the list. Returns the number of rows scanned."""
    n_list = near_sq.shape[1]
    scanned = 0
    for i in range(real.shape[0]):
        r_sq = real_radius_sq[i]
        w_i = real_weight[i]
        total = 0.0
        miss_total = 0.0
        for p in range(member_start[i], member_start[i + 1]):
            reps = counts[member_row[p]]
            if reps == 0:
                continue
            w = ball_weight(member_sq[p], r_sq, w_i, tol)
            if w > 0.0:
                miss = np.log1p(-w)
                for _ in range(reps):
                    total += w
                    miss_total += miss
        ball_sum[i] = total
        ball_miss[i] = miss_total
        found = False
        for t in range(n_list):
            h = near_index[i, t]
            if h < 0:
                break
            if counts[h] > 0:
                nearest_sq[i] = near_sq[i, t]
                nearest_position[i] = first_position[h]
                found = True
                break
        if not found:
            scanned += 1
            best = _INF
            best_h = -1
            for h in distinct:
                value = exact_squared_distance(real[i], holdout[h])
                if value < best:
                    best = value
                    best_h = h
            nearest_sq[i] = best
            nearest_position[i] = first_position[best_h]
    return scanned


@nb.njit(cache=True)
def column_partials(
    member_start: np.ndarray,
    member_row: np.ndarray,
    member_sq: np.ndarray,
    real_radius_sq: np.ndarray,
    real_weight: np.ndarray,
    real_clipped_sq: np.ndarray,
    tol: float,
    shard: np.ndarray,
    ball: np.ndarray,
    miss: np.ndarray,
    clipped: np.ndarray,
) -> None:
    """Per holdout row, the engine's per-thread column sums over the real balls holding it:
    weight (density) and log(1 - w) (precision) into ``ball``/``miss`` (shards x holdout rows),
    real rows added in order within each shard; and the closed clipped balls holding it."""
    for i in range(real_radius_sq.shape[0]):
        s = shard[i]
        r_sq = real_radius_sq[i]
        w_i = real_weight[i]
        clip_sq = real_clipped_sq[i]
        for p in range(member_start[i], member_start[i + 1]):
            h = member_row[p]
            value = member_sq[p]
            w = ball_weight(value, r_sq, w_i, tol)
            if w > 0.0:
                ball[s, h] += w
                miss[s, h] += np.log1p(-w)
            if value <= clip_sq:
                clipped[h] += 1.0


@nb.njit(cache=True)
def rows_within(
    real: np.ndarray, holdout: np.ndarray, rows: np.ndarray, reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each real row in ``rows``: every holdout row within ``reach`` (squared), by exact scan:
    (real row, holdout row, squared distance) triples, holdout rows ascending per real row."""
    found = 0
    for t in range(rows.shape[0]):
        for h in range(holdout.shape[0]):
            if exact_squared_distance(real[rows[t]], holdout[h]) <= reach[t]:
                found += 1
    out_i = np.empty(found, dtype=np.int64)
    out_h = np.empty(found, dtype=np.int64)
    out_sq = np.empty(found)
    p = 0
    for t in range(rows.shape[0]):
        i = rows[t]
        for h in range(holdout.shape[0]):
            value = exact_squared_distance(real[i], holdout[h])
            if value <= reach[t]:
                out_i[p] = i
                out_h[p] = h
                out_sq[p] = value
                p += 1
    return out_i, out_h, out_sq
