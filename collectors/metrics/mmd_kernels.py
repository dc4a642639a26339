"""Numba kernel of :func:`collectors.metrics.drift.squared_distances`: one pass per block.

After the BLAS product ``P = x[block] @ y.T`` each entry becomes ``(P * -2 + ||x_i||^2) +
||y_j||^2`` and is flagged for the exact recomputation when it is within the cancellation limit
``_EXACT_BELOW * (||x_i||^2 + max ||y||^2)``. NumPy did this in five passes over the block (three
in-place updates, the comparison, ``np.nonzero``); the kernel does it in one, with the same
floating-point operations in the same order (no fused multiply-add: Numba compiles without
fast-math), so the same values bit for bit (tests/collectors/metrics/test_mmd_kernels.py).

:func:`count_gather` is the median heuristic's pass over the distinct pairs of the blocks
(:func:`collectors.metrics.drift._median_heuristic`), on one thread.

:func:`kernel_sum` is the MMD's sum of ``exp(scale * d2)`` over a block: an exp vectorised by LLVM
(AVX2 on the CI machines) instead of libm's scalar one, within a few ulp of it per term, so the
MMD within ``MMD_TOLERANCE`` of the exact-exp sums (about 1e-16 measured; tested against them in
tests/collectors/metrics/test_mmd_exp.py), not bit for bit.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["count_gather", "expand_block", "kernel_sum"]

# exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cody and Waite
# 1980: ln 2 split in a high part exact in n * _LN2_HI and a low part); exp(r) by its Taylor
# polynomial of degree 13 (remainder < 0.35^14 / 14! < 1e-17, under half an ulp), evaluated by
# Estrin's scheme; 2^n from the bits of n (the round-to-integer constant's low bits hold n).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: x + _ROUND rounds x to an integer in the low bits
_EXPONENT = np.int64(1023) - np.array(_ROUND).view(np.int64).item()  # bits(_ROUND + n) -> 2^n
_LOWEST = -708.0  # exp(-708) ~ 3e-308 is still normal; below it every term counts as that
_CHUNK = 256  # columns of a row summed at a time by kernel_sum
_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(14))
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = _TAYLOR


@nb.njit(cache=True, nogil=True)
def expand_block(
    block: np.ndarray,
    x_norms: np.ndarray,
    y_norms: np.ndarray,
    limit_scale: float,
    y_largest: float,
    rows: np.ndarray,
    columns: np.ndarray,
    diagonal: int = -1,
) -> int:
    """In place, ``block[i, j] = (block[i, j] * -2.0 + x_norms[i]) + y_norms[j]``; the entries
    ``<= limit_scale * (x_norms[i] + y_largest)`` written to ``rows``/``columns`` in row-major
    order. Returns how many there are (more than ``rows.size``: the caller finds them itself).
    ``diagonal`` >= 0: row i's diagonal entry is column ``diagonal + i``; only the columns after
    it are expanded (and listed), columns ``diagonal`` to ``diagonal + i`` are set to 0 and the
    columns before ``diagonal`` are left alone (the upper triangle of a symmetric block).

    Each row in a branch-free pass that LLVM vectorises (the values and how many are under the
    limit), then, only in a row with such an entry (rare: duplicates, near-duplicates), a second
    pass that lists them."""
    count = 0
    capacity = rows.size
    width = np.uint64(block.shape[1])
    for i in range(block.shape[0]):
        x_norm = x_norms[i]
        limit = limit_scale * (x_norm + y_largest)
        line = block[i]
        first = np.uint64(0)
        if diagonal >= 0:
            first = np.uint64(min(diagonal + i + 1, block.shape[1]))
            for j in range(np.uint64(diagonal), first):
                line[j] = 0.0
        flagged = np.int64(0)
        for j in range(first, width):
            value = line[j] * -2.0
            value += x_norm
            value += y_norms[j]
            line[j] = value
            flagged += np.int64(value <= limit)
        if flagged:
            for j in range(first, width):
                if line[j] <= limit:
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


@nb.njit(cache=True, inline="always")
def _count_row(line: np.ndarray, start: np.int64, low: float, high: float) -> tuple[int, int, int]:
    """Over ``line[start:]``: how many are < ``low``, == 0 and in [low, high] (branch-free over
    unsigned indices: LLVM vectorises it)."""
    below = np.int64(0)
    zero = np.int64(0)
    kept = np.int64(0)
    for j in range(np.uint64(start), np.uint64(line.size)):
        v = line[j]
        zero += np.int64(v == 0.0)
        below += np.int64(v < low)
        kept += np.int64(v >= low) & np.int64(v <= high)
    return int(below), int(zero), int(kept)


@nb.njit(cache=True, inline="always")
def _gather_row(
    line: np.ndarray, start: np.int64, low: float, high: float, out: np.ndarray, k: int
) -> int:
    """The values of ``line[start:]`` in [low, high] written to ``out`` from slot ``k`` on, in
    order; returns the next free slot. Branch-free: every value is written at the next slot, which
    moves on only past a kept one (``out`` holds one slot past the last kept value)."""
    slot = np.uint64(k)
    for j in range(np.uint64(start), np.uint64(line.size)):
        v = line[j]
        out[slot] = v
        slot += np.uint64((v >= low) & (v <= high))
    return int(np.int64(slot))


@nb.njit(cache=True, nogil=True)
def count_gather(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, low: float, high: float, gather: bool
) -> tuple[int, int, np.ndarray]:
    """Over the distinct pairs (xx and yy above the diagonal, every xy): how many are < ``low``
    (``gather``), how many == 0, and the values in [low, high] (``gather``), row after row.

    One pass on one thread: each row counted first (vectorised; the row stays in the L1 cache),
    then, when it holds a value in the bracket, gathered branch-free. A parallel loop spent more
    CPU in its threads' start and wait than in the counting (benchmarks/README.md, issue 26,
    Session 10 (M))."""
    rows = xx.shape[0] + yy.shape[0] + xy.shape[0]
    below = 0
    zeros = 0
    out = np.empty(4096)
    k = 0
    for r in range(rows):
        block, row, start = _pair_row(xx, yy, xy, np.int64(r))
        line = block[row]
        count, zero, kept = _count_row(line, start, low, high)
        below += count
        zeros += zero
        if gather and kept:
            if k + kept + 1 > out.size:  # room for the row's values and the spare slot
                grown = np.empty(max(2 * int(out.size), k + kept + 1))
                grown[:k] = out[:k]
                out = grown
            k = _gather_row(line, start, low, high, out, k)
    return (below if gather else 0), zeros, out[:k]


@nb.njit(cache=True, inline="always", fastmath={"contract", "reassoc"})
def _row_exp_sum(
    line: np.ndarray, start: int, scale: float, powers: np.ndarray, values: np.ndarray
) -> float:
    """sum_j exp(scale * line[j]) for j >= ``start`` (``scale * line[j] <= 0``): three
    vectorisable loops over row-sized buffers (the polynomial and n; 2^n from n's bits; the sum)."""
    width = line.size - start
    for j in range(width):
        x = max(min(scale * line[start + j], 0.0), _LOWEST)
        rounded = x * _LOG2E + _ROUND
        n = rounded - _ROUND
        r = (x - n * _LN2_HI) - n * _LN2_LO
        # 1 + r + r^2 E(r), E by Estrin's scheme: six operations deep instead of Horner's
        # thirteen (the loop's iterations overlap more), the two largest terms added last
        r2 = r * r
        r4 = r2 * r2
        f0 = (_C2 + _C3 * r) + (_C4 + _C5 * r) * r2
        f1 = (_C6 + _C7 * r) + (_C8 + _C9 * r) * r2
        f2 = (_C10 + _C11 * r) + (_C12 + _C13 * r) * r2
        e = (f0 + f1 * r4) + f2 * (r4 * r4)
        values[j] = _C0 + (r + r2 * e)
        powers[j] = rounded
    bits = powers[:width].view(np.int64)
    for j in range(width):
        bits[j] = (bits[j] + _EXPONENT) << 52
    total = 0.0
    for j in range(width):
        total += values[j] * powers[j]
    return total


@nb.njit(cache=True, nogil=True, fastmath={"contract", "reassoc"})
def kernel_sum(squared: np.ndarray, scale: float, upper: bool) -> float:
    """sum_{i, j} exp(scale * squared[i, j]) over every entry, or over i < j when ``upper``
    (``scale <= 0``, ``squared >= 0``): row after row, each in chunks of ``_CHUNK`` columns (the
    chunk and its two buffers stay in the L1 cache), no temporary matrix.

    On one thread: the MMD runs beside the version's other figures (the families' thread), and
    a parallel loop here took more wall time on the shared 2 cores (benchmarks/README.md,
    issue 26, Session 9 (E))."""
    rows, columns = squared.shape
    powers = np.empty(_CHUNK)
    values = np.empty(_CHUNK)
    grand = 0.0
    for i in range(rows):
        line = squared[i]
        total = 0.0
        for start in range(i + 1 if upper else 0, columns, _CHUNK):
            chunk = line[start : min(start + _CHUNK, columns)]
            total += _row_exp_sum(chunk, 0, scale, powers, values)
        grand += total
    return grand
