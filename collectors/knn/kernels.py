"""Numba kernels that post-process one block of BLAS inner products in a single fused pass.

The distance products themselves are BLAS matrix products (``x @ y.T``); these kernels turn a block
of products into squared distances on the fly (``|x|^2 + |y|^2 - 2 x.y``) and do everything the
metrics need from it in one sweep, so the block is read once and never materialised as distances.
A product computed in float32 carries a rounding error; every comparison whose outcome that error
could change (it lies inside a guard band) is redone exactly in float64 from the original rows,
so the float32 path decides every comparison exactly as the float64 one would.

Private module: :mod:`collectors.knn.engine` is the interface.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_INF = np.inf
# Columns per prefilter sweep: long enough to vectorise, short enough for the thresholds to tighten
# often. A multiple of 8 (the flags are tested as uint64 words).
CHUNK = 128


@nb.njit(cache=True, inline="always")
def exact_squared_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Squared Euclidean distance computed directly (no cancellation) in float64.

    Four interleaved partial sums, always added in the same order: the result is deterministic
    (the same for every caller and precision), and the four chains run in parallel.
    """
    d = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    full = d - d % 4
    for t in range(0, full, 4):
        e0 = a[t] - b[t]
        e1 = a[t + 1] - b[t + 1]
        e2 = a[t + 2] - b[t + 2]
        e3 = a[t + 3] - b[t + 3]
        s0 += e0 * e0
        s1 += e1 * e1
        s2 += e2 * e2
        s3 += e3 * e3
    for t in range(full, d):
        e0 = a[t] - b[t]
        s0 += e0 * e0
    return (s0 + s1) + (s2 + s3)


@nb.njit(cache=True, inline="always")
def _any_flag(flags: np.ndarray, words: np.ndarray, width: int) -> bool:
    """Whether any of the first ``width`` byte flags is set (``words``: the same bytes, uint64)."""
    for t in range(width, flags.shape[0]):  # a short last chunk: clear the stale tail
        flags[t] = 0
    seen = np.uint64(0)
    for w in range(words.shape[0]):
        seen |= words[w]
    return seen != 0


@nb.njit(cache=True, inline="always")
def _lane_minima(row: np.ndarray, point_norms: np.ndarray, q_norm: float, lanes: np.ndarray) -> int:
    """Minimum of ``q_norm + point_norms[c] - 2 row[c]`` over the columns c of each lane
    (c mod CHUNK), in one vectorised sweep. Returns the number of lanes used."""
    cols = row.shape[0]
    used = min(lanes.shape[0], cols)
    lanes[:used] = _INF
    for c0 in range(0, cols, CHUNK):
        width = min(CHUNK, cols - c0)
        chunk = row[c0 : c0 + width]
        norms = point_norms[c0 : c0 + width]
        for t in range(width):
            product = chunk[t]
            lanes[t] = np.fmin(lanes[t], q_norm + norms[t] - (product + product))
    return used


@nb.njit(cache=True, inline="always")
def _seed_bound(
    row: np.ndarray,
    point_norms: np.ndarray,
    q_norm: float,
    n_cand: int,
    lanes: np.ndarray,
    smallest: np.ndarray,
) -> float:
    """An upper bound on the ``n_cand``-th smallest value of a row (``n_cand`` <= CHUNK).

    The ``n_cand``-th smallest of the lanes' minima has at least ``n_cand`` values (one per lane)
    at or below it. With 128 lanes the bound is close to the true value, and bounding the first
    block of a row this way spares the candidate list the long run of insertions it would take
    to fill and tighten.
    """
    used = _lane_minima(row, point_norms, q_norm, lanes)
    smallest[:n_cand] = _INF
    worst = smallest[n_cand - 1]
    for t in range(used):
        value = lanes[t]
        if value < worst:
            pos = n_cand - 1
            while pos > 0 and smallest[pos - 1] > value:
                smallest[pos] = smallest[pos - 1]
                pos -= 1
            smallest[pos] = value
            worst = smallest[n_cand - 1]
    return worst


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

    ``best_sq``/``best_index`` (rows x candidates) hold approximate squared distances, in the
    products' dtype; ties keep the lower index first, so the result does not depend on the block
    layout. Each row is read in chunks of ``CHUNK`` columns: a branch-free (vectorised) sweep flags
    the values below the current worst candidate, and only flagged values are merged one by one (the
    worst candidate only falls, so an unflagged value cannot enter the list). With ``exclude_self``
    the block's diagonal products are overwritten with -inf (the caller's scratch buffer), which
    puts the point itself at +inf.
    """
    rows, cols = products.shape
    n_cand = best_sq.shape[1]
    if exclude_self:
        for b in range(rows):
            c = row_offset + b - col_offset
            if 0 <= c < cols:
                products[b, c] = -_INF
    flags = np.zeros(CHUNK, dtype=np.uint8)
    words = flags.view(np.uint64)
    lanes = np.empty(CHUNK, dtype=best_sq.dtype)
    smallest = np.empty(n_cand, dtype=best_sq.dtype)
    point_block = point_norms[col_offset : col_offset + cols]
    for b in range(rows):
        q_norm = query_norms[b]
        row = products[b]
        worst = best_sq[b, n_cand - 1]
        bound = worst
        if worst == _INF and n_cand <= CHUNK:  # the row's first block: seed a bound
            bound = _seed_bound(row, point_block, q_norm, n_cand, lanes, smallest)
        for c0 in range(0, cols, CHUNK):
            width = min(CHUNK, cols - c0)
            chunk = row[c0 : c0 + width]
            norms = point_block[c0 : c0 + width]
            bound = min(bound, worst)
            for t in range(width):  # branch-free: vectorised
                product = chunk[t]
                flags[t] = q_norm + norms[t] - (product + product) <= bound
            if not _any_flag(flags, words, width):
                continue
            for w in range(words.shape[0]):  # set flags only (the tail is clear)
                if words[w] == 0:
                    continue
                for t in range(8 * w, 8 * w + 8):
                    if flags[t] == 0:
                        continue
                    product = chunk[t]
                    value = q_norm + norms[t] - (product + product)
                    if value < worst:
                        pos = n_cand - 1
                        while pos > 0 and best_sq[b, pos - 1] > value:
                            best_sq[b, pos] = best_sq[b, pos - 1]
                            best_index[b, pos] = best_index[b, pos - 1]
                            pos -= 1
                        best_sq[b, pos] = value
                        best_index[b, pos] = col_offset + c0 + t
                        worst = best_sq[b, n_cand - 1]


@nb.njit(cache=True, inline="always")
def band_counts(values: np.ndarray, radius_sq: float, tol_sq: float) -> tuple[int, int]:
    """Values strictly below the tie band around ``radius_sq``, and values inside it."""
    below = 0
    ties = 0
    for value in values:
        if value < radius_sq - tol_sq:
            below += 1
        elif value <= radius_sq + tol_sq:
            ties += 1
    return below, ties


@nb.njit(cache=True, inline="always")
def _sort_pairs(values: np.ndarray, index: np.ndarray, count: int) -> None:
    """Sort the first ``count`` (value, index) pairs in place by value, then index (short lists).

    The order of exactly tied distances then depends on neither the approximate values nor the
    block layout, so both precisions return the same neighbours.
    """
    for t in range(1, count):
        value = values[t]
        j = index[t]
        pos = t
        while pos > 0 and (
            values[pos - 1] > value or (values[pos - 1] == value and index[pos - 1] > j)
        ):
            values[pos] = values[pos - 1]
            index[pos] = index[pos - 1]
            pos -= 1
        values[pos] = value
        index[pos] = j


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

    For each row: recompute the candidates' squared distances exactly, sort them (by distance, then
    index), keep the first ``keep``. The list is provably complete when the largest approximate
    candidate, minus its error ``guard``, lies beyond the exact radius plus the tie tolerance;
    otherwise the row is redone by an exact scan over every point. ``out_below`` counts points
    strictly closer than the radius (the ``keep``-th distance), ``out_ties`` those within the tie
    tolerance of it.
    """
    rows = cand_sq.shape[0]
    n_cand = cand_sq.shape[1]
    n_points = points.shape[0]
    exact = np.empty(n_cand)
    order_index = np.empty(n_cand, dtype=np.int64)
    for b in range(rows):
        i = query_offset + b
        valid = 0
        for c in range(n_cand):
            j = cand_index[b, c]
            if j < 0:
                continue
            exact[valid] = exact_squared_distance(queries[b], points[j])
            order_index[valid] = j
            valid += 1
        _sort_pairs(exact, order_index, valid)
        radius_sq = exact[keep - 1]
        complete = (
            valid >= n_points - (1 if exclude_self else 0)
            or cand_sq[b, n_cand - 1] - guard[b] > radius_sq + tie_tolerance_sq
        )
        if complete:
            below, ties = band_counts(exact[:valid], radius_sq, tie_tolerance_sq)
            for t in range(keep):
                out_sq[b, t] = exact[t]
                out_index[b, t] = order_index[t]
        else:
            row = np.empty(n_points)
            for j in range(n_points):
                if exclude_self and j == i:
                    row[j] = _INF
                else:
                    row[j] = exact_squared_distance(queries[b], points[j])
            full_order = np.argsort(row, kind="mergesort")
            radius_sq = row[full_order[keep - 1]]
            below, ties = band_counts(row, radius_sq, tie_tolerance_sq)
            for t in range(keep):
                out_sq[b, t] = row[full_order[t]]
                out_index[b, t] = full_order[t]
        out_below[b] = below
        out_ties[b] = ties


@nb.njit(cache=True, inline="always")
def ball_weight(value: float, radius_sq: float, weight: float, tol_sq: float) -> float:
    """Membership of a point at squared distance ``value`` in a ball: 1 inside, ``weight`` on the
    boundary band (ties), 0 outside."""
    if value < radius_sq - tol_sq:
        return 1.0
    if value <= radius_sq + tol_sq:
        return weight
    return 0.0


@nb.njit(cache=True, inline="always")
def _ball_weight(
    approx: float, radius_sq: float, weight: float, tol_sq: float, exact_sq: float
) -> float:
    """:func:`ball_weight` of the exact squared distance where it was computed, else of the
    approximate one (``exact_sq`` < 0 means "not computed yet"; the caller computes it only
    inside the guard band)."""
    return ball_weight(approx if exact_sq < 0.0 else exact_sq, radius_sq, weight, tol_sq)


@nb.njit(nogil=True, cache=True)
def cross_block(
    products: np.ndarray,
    real: np.ndarray,
    synthetic: np.ndarray,
    real_norms: np.ndarray,
    synthetic_norms: np.ndarray,
    real_norms_low: np.ndarray,
    synthetic_norms_low: np.ndarray,
    row_offset: int,
    col_offset: int,
    guard_coefficient: float,
    real_guard: np.ndarray,
    synthetic_guard: np.ndarray,
    slack: float,
    real_radius_sq: np.ndarray,
    real_weight: np.ndarray,
    real_clipped_sq: np.ndarray,
    synthetic_radius_sq: np.ndarray,
    synthetic_weight: np.ndarray,
    tol_sq: float,
    col_threshold: np.ndarray,
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

    Nearest neighbours are exact: a pair's exact distance is computed when its approximate one,
    less its error bound, beats the current nearest; the nearest distances kept are exact ones.

    Fast-path rejection: almost every pair lies outside both balls and improves neither nearest
    neighbour. A pair can matter only if its approximate squared distance is at most its row's
    threshold (the larger of its real radius and clipped radius, or its nearest so far, plus
    ``real_guard[i]``: the largest guard of the row) or its column's (``col_threshold[j]``, kept
    by this kernel: the larger of its synthetic radius and its nearest so far, plus
    ``synthetic_guard[j]``), each plus ``slack``: the rounding of this test in the products'
    dtype (it must exceed twice that rounding). A row's first block is bounded, before its nearest
    is known, by its smallest approximate value in that dtype (a vectorised sweep) plus twice the
    row's guard. Each row is swept in chunks of ``CHUNK`` columns with that test alone
    (branch-free, vectorised, in the products' dtype); only the flagged pairs are processed one by
    one, in float64, with the exact distance where the guard band requires it.
    """
    rows, cols = products.shape
    dtype = products.dtype.type
    flags = np.zeros(CHUNK, dtype=np.uint8)
    words = flags.view(np.uint64)
    lanes = np.empty(CHUNK, dtype=col_threshold.dtype)
    for b in range(rows):
        i = row_offset + b
        x_norm = real_norms[i]
        x_norm_low = real_norms_low[i]
        r_sq = real_radius_sq[i]
        r_w = real_weight[i]
        clip_sq = real_clipped_sq[i]
        ball_sum = row_stats[i, 0]
        ball_miss = row_stats[i, 1]
        recall_miss = row_stats[i, 2]
        best_sq = row_nearest_sq[i]
        best_j = row_nearest_index[i]
        row = products[b]
        norm_block = synthetic_norms_low[col_offset : col_offset + cols]
        reach = max(r_sq, clip_sq) + real_guard[i]
        seed = _INF
        if best_sq == _INF:  # the row's first block: bound its nearest by the lanes' minimum
            used = _lane_minima(row, norm_block, x_norm_low, lanes)
            for t in range(used):
                seed = min(seed, lanes[t])
            seed += 2.0 * real_guard[i]
        row_threshold = dtype(max(reach, min(best_sq + real_guard[i], seed)) + slack)
        for c0 in range(0, cols, CHUNK):
            width = min(CHUNK, cols - c0)
            chunk = row[c0 : c0 + width]
            norms = norm_block[c0 : c0 + width]
            thresholds = col_threshold[col_offset + c0 : col_offset + c0 + width]
            for t in range(width):  # branch-free: vectorised
                product = chunk[t]
                low = x_norm_low + norms[t] - (product + product)
                flags[t] = (low <= row_threshold) | (low <= thresholds[t])
            if not _any_flag(flags, words, width):
                continue
            for w in range(words.shape[0]):  # set flags only (the tail is clear)
                if words[w] == 0:
                    continue
                for t in range(8 * w, 8 * w + 8):
                    if flags[t] == 0:
                        continue
                    j = col_offset + c0 + t
                    scale = x_norm + synthetic_norms[j]
                    approx = scale - 2.0 * chunk[t]
                    error = guard_coefficient * scale
                    s_sq = synthetic_radius_sq[j]
                    exact = -1.0
                    if approx - error < syn_nearest_sq[j] or approx - error < best_sq:
                        exact = exact_squared_distance(real[i], synthetic[j])
                        if exact < syn_nearest_sq[j]:  # rows come in order: ties keep the first
                            syn_nearest_sq[j] = exact
                            syn_nearest_index[j] = i
                            col_threshold[j] = max(s_sq, exact) + synthetic_guard[j] + slack
                        if exact < best_sq:
                            best_sq = exact
                            best_j = j
                    guard = error + tol_sq
                    if approx > r_sq + guard and approx > s_sq + guard:
                        continue  # outside both balls for certain
                    if exact < 0.0 and (
                        abs(approx - r_sq) <= guard
                        or abs(approx - s_sq) <= guard
                        or abs(approx - clip_sq) <= guard
                    ):
                        exact = exact_squared_distance(real[i], synthetic[j])
                    weight = _ball_weight(approx, r_sq, r_w, tol_sq, exact)
                    if weight > 0.0:
                        miss = np.log1p(-weight)  # -inf when weight == 1: certainly inside
                        syn_ball[j] += weight
                        syn_miss[j] += miss
                        ball_sum += weight
                        ball_miss += miss
                    value = approx if exact < 0.0 else exact
                    if value <= clip_sq:
                        syn_clipped[j] += 1.0
                    ws = _ball_weight(approx, s_sq, synthetic_weight[j], tol_sq, exact)
                    if ws > 0.0:
                        recall_miss += np.log1p(-ws)
            row_threshold = dtype(max(reach, min(best_sq + real_guard[i], seed)) + slack)
        row_stats[i, 0] = ball_sum
        row_stats[i, 1] = ball_miss
        row_stats[i, 2] = recall_miss
        row_nearest_sq[i] = best_sq
        row_nearest_index[i] = best_j


@nb.njit(cache=True, inline="always")
def _insert(
    best_sq: np.ndarray, best_index: np.ndarray, bound: np.ndarray, p: int, value: float, j: int
) -> None:
    """Insert ``(value, j)`` into point ``p``'s ascending candidate list (equal values after the
    ones already there) and lower ``bound[p]`` to the list's last value if that is smaller."""
    n_cand = best_sq.shape[1]
    pos = n_cand - 1
    while pos > 0 and best_sq[p, pos - 1] > value:
        best_sq[p, pos] = best_sq[p, pos - 1]
        best_index[p, pos] = best_index[p, pos - 1]
        pos -= 1
    best_sq[p, pos] = value
    best_index[p, pos] = j
    last = best_sq[p, n_cand - 1]
    if last < bound[p]:
        bound[p] = last


@nb.njit(nogil=True, cache=True)
def topk_symmetric_block(
    products: np.ndarray,
    norms: np.ndarray,
    row_offset: int,
    col_offset: int,
    best_sq: np.ndarray,
    best_index: np.ndarray,
    bound: np.ndarray,
) -> None:
    """Merge one block of a self product (``X[rows] @ X[cols].T``, ``col_offset >= row_offset``)
    into the candidate lists of both its rows and its columns: the upper half of X X^T only.

    Point ``i`` of the row block takes every column as a candidate (row role); a column ``j``
    past the row block takes the block's rows (column role). Columns that are rows of the block
    themselves (the diagonal square) get the row role only, so each pair reaches each of its two
    points exactly once over the half product.

    ``best_sq``/``best_index`` (points x candidates, approximate squared distances in the
    products' dtype, ascending) are one thread's lists. ``bound`` is shared by all threads: the
    smallest last value any thread's full list of that point has had. A value at or above it
    cannot be among the point's ``n_cand`` nearest (that thread holds ``n_cand`` values at or
    below it), so the union of the threads' lists always holds them; racing updates can only
    leave a larger (older, still valid) bound. A row whose bound is still infinite is bounded by
    ``_seed_bound`` first. One branch-free sweep per chunk of ``CHUNK`` columns flags the values
    at or below the row's bound or the column's; only flagged values are merged one by one. The
    self products are overwritten with -inf (the caller's scratch buffer), which puts a point at
    +inf from itself.
    """
    rows, cols = products.shape
    n_cand = best_sq.shape[1]
    dtype = products.dtype.type
    for b in range(rows):
        c = row_offset + b - col_offset
        if 0 <= c < cols:
            products[b, c] = -_INF
    split = min(cols, max(0, row_offset + rows - col_offset))  # columns that are block rows
    flags = np.zeros(CHUNK, dtype=np.uint8)
    words = flags.view(np.uint64)
    lanes = np.empty(CHUNK, dtype=best_sq.dtype)
    smallest = np.empty(n_cand, dtype=best_sq.dtype)
    col_norms = norms[col_offset : col_offset + cols]
    col_bound = bound[col_offset : col_offset + cols]
    for b in range(rows):
        i = row_offset + b
        q_norm = norms[i]
        row = products[b]
        row_bound = bound[i]
        if row_bound == _INF and n_cand <= CHUNK:  # nothing known yet: seed a bound
            row_bound = _seed_bound(row, col_norms, q_norm, n_cand, lanes, smallest)
        for c0 in range(0, cols, CHUNK):
            width = min(CHUNK, cols - c0)
            chunk = row[c0 : c0 + width]
            chunk_norms = col_norms[c0 : c0 + width]
            chunk_bound = col_bound[c0 : c0 + width]
            row_bound = dtype(min(row_bound, bound[i]))
            if c0 >= split:
                for t in range(width):  # branch-free: vectorised
                    product = chunk[t]
                    value = q_norm + chunk_norms[t] - (product + product)
                    flags[t] = (value <= row_bound) | (value <= chunk_bound[t])
            elif c0 + width <= split:
                for t in range(width):  # the row block's own columns: row role only
                    product = chunk[t]
                    flags[t] = q_norm + chunk_norms[t] - (product + product) <= row_bound
            else:
                for t in range(width):
                    product = chunk[t]
                    value = q_norm + chunk_norms[t] - (product + product)
                    flags[t] = (value <= row_bound) | (
                        (value <= chunk_bound[t]) & (c0 + t >= split)
                    )
            if not _any_flag(flags, words, width):
                continue
            for w in range(words.shape[0]):  # set flags only (the tail is clear)
                if words[w] == 0:
                    continue
                for t in range(8 * w, 8 * w + 8):
                    if flags[t] == 0:
                        continue
                    product = chunk[t]
                    value = q_norm + chunk_norms[t] - (product + product)
                    j = col_offset + c0 + t
                    if value <= row_bound and value < best_sq[i, n_cand - 1] and value < bound[i]:
                        _insert(best_sq, best_index, bound, i, value, j)
                    if c0 + t >= split and value < best_sq[j, n_cand - 1] and value < bound[j]:
                        _insert(best_sq, best_index, bound, j, value, i)


@nb.njit(nogil=True, cache=True)
def merge_candidates(
    lists_sq: np.ndarray,
    lists_index: np.ndarray,
    row_offset: int,
    out_sq: np.ndarray,
    out_index: np.ndarray,
) -> None:
    """Merge the threads' candidate lists of rows ``row_offset...`` into one list per row.

    ``lists_sq``/``lists_index``: (threads, points, candidates), each list ascending and each
    pair in at most one thread's list. Out: the smallest ``candidates`` values of their union
    (rows x candidates; missing entries stay +inf with index -1). Every point left out lies at or
    beyond the merged list's last value: it was beyond its own thread's last value, which is at
    least that.
    """
    threads = lists_sq.shape[0]
    n_cand = lists_sq.shape[2]
    rows = out_sq.shape[0]
    heads = np.zeros(threads, dtype=np.int64)
    for b in range(rows):
        p = row_offset + b
        heads[:] = 0
        for c in range(n_cand):
            pick = -1
            value = _INF
            for t in range(threads):
                h = heads[t]
                if (
                    h < n_cand
                    and lists_index[t, p, h] >= 0
                    and (pick < 0 or lists_sq[t, p, h] < value)
                ):
                    pick = t
                    value = lists_sq[t, p, h]
            if pick < 0:
                out_sq[b, c] = _INF
                out_index[b, c] = -1
            else:
                out_sq[b, c] = value
                out_index[b, c] = lists_index[pick, p, heads[pick]]
                heads[pick] += 1


@nb.njit(nogil=True, cache=True)
def topk_cross_block(
    products: np.ndarray,
    row_norms: np.ndarray,
    col_norms: np.ndarray,
    row_offset: int,
    col_offset: int,
    row_sq: np.ndarray,
    row_index: np.ndarray,
    col_sq: np.ndarray,
    col_index: np.ndarray,
    col_bound: np.ndarray,
) -> None:
    """Merge one block of a cross product (``A[rows] @ B[cols].T``) into the candidate lists of
    both its rows (their nearest points of B) and its columns (their nearest points of A): the
    two directions' k-NN from one product.

    Row role, as :func:`topk_block`: ``row_sq``/``row_index`` (the block's rows x candidates,
    ascending approximate squared distances in the products' dtype) are the block's own lists,
    each row's first block bounded by ``_seed_bound``. Column role, as the column role of
    :func:`topk_symmetric_block`: ``col_sq``/``col_index`` (all of B x candidates) are one
    thread's lists, ``col_bound`` (all of B) the smallest last value any thread's full list of
    that point has had, shared by the threads; a value at or above it cannot be among the
    point's nearest (that thread holds as many values at or below it), so the union of the
    threads' lists always holds them. One branch-free sweep per chunk of ``CHUNK`` columns flags
    the values at or below the row's bound or the column's; only flagged values are merged one
    by one. Indices: a row's candidates index B (``col_offset + c``), a column's index A
    (``row_offset + b``).
    """
    rows, cols = products.shape
    n_row = row_sq.shape[1]
    n_col = col_sq.shape[1]
    dtype = products.dtype.type
    flags = np.zeros(CHUNK, dtype=np.uint8)
    words = flags.view(np.uint64)
    lanes = np.empty(CHUNK, dtype=row_sq.dtype)
    smallest = np.empty(n_row, dtype=row_sq.dtype)
    block_norms = col_norms[col_offset : col_offset + cols]
    block_bound = col_bound[col_offset : col_offset + cols]
    for b in range(rows):
        i = row_offset + b
        q_norm = row_norms[b]
        row = products[b]
        worst = row_sq[b, n_row - 1]
        bound = worst
        if worst == _INF and n_row <= CHUNK:  # the row's first block: seed a bound
            bound = _seed_bound(row, block_norms, q_norm, n_row, lanes, smallest)
        for c0 in range(0, cols, CHUNK):
            width = min(CHUNK, cols - c0)
            chunk = row[c0 : c0 + width]
            norms = block_norms[c0 : c0 + width]
            chunk_bound = block_bound[c0 : c0 + width]
            bound = dtype(min(bound, worst))
            for t in range(width):  # branch-free: vectorised
                product = chunk[t]
                value = q_norm + norms[t] - (product + product)
                flags[t] = (value <= bound) | (value <= chunk_bound[t])
            if not _any_flag(flags, words, width):
                continue
            for w in range(words.shape[0]):  # set flags only (the tail is clear)
                if words[w] == 0:
                    continue
                for t in range(8 * w, 8 * w + 8):
                    if flags[t] == 0:
                        continue
                    product = chunk[t]
                    value = q_norm + norms[t] - (product + product)
                    j = col_offset + c0 + t
                    if value < worst:
                        pos = n_row - 1
                        while pos > 0 and row_sq[b, pos - 1] > value:
                            row_sq[b, pos] = row_sq[b, pos - 1]
                            row_index[b, pos] = row_index[b, pos - 1]
                            pos -= 1
                        row_sq[b, pos] = value
                        row_index[b, pos] = j
                        worst = row_sq[b, n_row - 1]
                    # the shared bound first: a value flagged by its row alone leaves the
                    # column's list (another cache line) unread
                    if value < col_bound[j] and value < col_sq[j, n_col - 1]:
                        _insert(col_sq, col_index, col_bound, j, value, i)
