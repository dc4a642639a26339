"""Numba kernel of :func:`collectors.metrics.drift.squared_distances`: one pass per block.

After the BLAS product ``P = x[block] @ y.T`` each entry becomes ``(P * -2 + ||x_i||^2) +
||y_j||^2`` and is flagged for the exact recomputation when it is within the cancellation limit
``_EXACT_BELOW * (||x_i||^2 + max ||y||^2)``. NumPy did this in five passes over the block (three
in-place updates, the comparison, ``np.nonzero``); the kernel does it in one, with the same
floating-point operations in the same order (no fused multiply-add: Numba compiles without
fast-math), so the same values bit for bit (tests/collectors/metrics/test_mmd_kernels.py).

:func:`count_gather` is the median heuristic's pass over the distinct pairs of the blocks
(:func:`collectors.metrics.drift._median_heuristic`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["count_gather", "expand_block"]


@nb.njit(cache=True, nogil=True)
def expand_block(
    block: np.ndarray,
    x_norms: np.ndarray,
    y_norms: np.ndarray,
    limit_scale: float,
    y_largest: float,
    rows: np.ndarray,
    columns: np.ndarray,
) -> int:
    """In place, ``block[i, j] = (block[i, j] * -2.0 + x_norms[i]) + y_norms[j]``; the entries
    ``<= limit_scale * (x_norms[i] + y_largest)`` written to ``rows``/``columns`` in row-major
    order. Returns how many there are (more than ``rows.size``: the caller finds them itself)."""
    count = 0
    capacity = rows.size
    for i in range(block.shape[0]):
        x_norm = x_norms[i]
        limit = limit_scale * (x_norm + y_largest)
        for j in range(block.shape[1]):
            value = block[i, j] * -2.0
            value += x_norm
            value += y_norms[j]
            block[i, j] = value
            if value <= limit:
                if count < capacity:
                    rows[count] = i
                    columns[count] = j
                count += 1
    return count


@nb.njit(cache=True, inline="always")
def _pair_row(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, r: np.int64
) -> tuple[np.ndarray, np.int64, np.int64]:
    """Row ``r`` of the stacked blocks: (block, row, first column of its distinct pairs)."""
    m = np.int64(xx.shape[0])
    n = np.int64(yy.shape[0])
    if r < m:
        return xx, r, r + 1
    if r < m + n:
        return yy, r - m, r - m + 1
    return xy, r - m - n, np.int64(0)


@nb.njit(parallel=True, cache=True)
def count_gather(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, low: float, high: float, gather: bool
) -> tuple[int, int, np.ndarray]:
    """Over the distinct pairs (xx and yy above the diagonal, every xy): how many are < ``low``
    (``gather``), how many == 0, and the values in [low, high] (``gather``), row after row.

    Branch-free (LLVM vectorises the counts; the gather writes every value at the row's next
    slot and moves on only past a kept one, a row's writes past its last kept value going to a
    spare slot that is never read), over unsigned indices (no negative-index fix-up)."""
    rows = xx.shape[0] + yy.shape[0] + xy.shape[0]
    below = np.zeros(rows, dtype=np.int64)
    zeros = np.zeros(rows, dtype=np.int64)
    within = np.zeros(rows, dtype=np.int64)
    for r in nb.prange(rows):
        block, row, start = _pair_row(xx, yy, xy, np.int64(r))
        line = block[row]
        count = np.int64(0)
        zero = np.int64(0)
        kept = np.int64(0)
        for j in range(np.uint64(start), np.uint64(line.size)):
            v = line[j]
            zero += np.int64(v == 0.0)
            count += np.int64(v < low)
            kept += np.int64(v >= low) & np.int64(v <= high)
        below[r] = count
        zeros[r] = zero
        within[r] = kept if gather else 0
    offsets = np.zeros(rows + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(within)
    out = np.empty(offsets[-1] + 1)  # the last slot: the spare
    if gather:
        spare = np.uint64(out.size - 1)
        for r in nb.prange(rows):
            block, row, start = _pair_row(xx, yy, xy, np.int64(r))
            line = block[row]
            k = np.uint64(offsets[r])
            end = np.uint64(offsets[r + 1])
            for j in range(np.uint64(start), np.uint64(line.size)):
                v = line[j]
                out[k if k < end else spare] = v
                k += np.uint64((v >= low) & (v <= high))
    return (below.sum() if gather else 0), zeros.sum(), out[:-1]
