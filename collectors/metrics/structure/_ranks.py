"""Average ranks of many columns at once, and Spearman's rho of every pair of them from one
matrix product, the same numbers as pair by pair (issue 26's cost; Spearman 1904: Pearson's
correlation of the average ranks, as ``scipy.stats.spearmanr``). Pure: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "BATCHED_RANKS",
    "MAX_EXACT_RANK_ROWS",
    "RankProducts",
    "average_ranks",
    "single_threaded_gram",
]

MIN_PAIR_ROWS = 3  # fewer complete rows than this: a pair's dependence is 0 (pairs.py too)
MAX_EXACT_RANK_ROWS = 200_000  # n (n^2 - 1) / 12 < 2^51: rank products summed exactly
BATCHED_RANKS = True  # False: every pair dotted on its own (benchmarks time both)
GRAM_BLOCK_ROWS = 64  # rows per product of single_threaded_gram


def average_ranks(matrix: np.ndarray) -> np.ndarray:
    """``scipy.stats.rankdata(matrix, axis=1)`` of a matrix without missing values (each row's
    average ranks, ties taking their mean rank), the same numbers: a tied run at sorted
    positions s..e (from 0) takes (s + e + 2) / 2 = scipy's (s + 1) + (e - s) / 2, exactly (a
    multiple of 1/2 either way). The order inside a tie does not change a rank, so the sort need
    not be stable (numpy's default sort, about 2.5x faster than scipy's stable one here). The
    sorted values and the ranks are gathered and scattered row by row (a 1-d take and a 1-d
    fancy assignment: the same elements as ``take_along_axis``/``put_along_axis``, which
    cost about twice as much on 64 x 20,000; tested)."""
    rows, n = matrix.shape
    order = np.argsort(matrix, axis=1)
    ordered = np.empty(matrix.shape, dtype=matrix.dtype)
    for row in range(rows):
        np.take(matrix[row], order[row], out=ordered[row])
    tie = ordered[:, 1:] == ordered[:, :-1]
    position = np.arange(n)
    if tie.any():
        first = np.ones((rows, n), dtype=bool)  # a run starts here
        first[:, 1:] = ~tie
        last = np.ones((rows, n), dtype=bool)  # a run ends here
        last[:, :-1] = ~tie
        start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
        end = np.minimum.accumulate(np.where(last, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
        sorted_ranks = (start + end + 2) / 2
    else:
        sorted_ranks = np.broadcast_to(position + 1.0, (rows, n))
    out = np.empty((rows, n), dtype=np.float64)
    for row in range(rows):
        out[row, order[row]] = sorted_ranks[row]
    return out


def single_threaded_gram(centred: np.ndarray) -> np.ndarray:
    """``centred @ centred.T`` summed over blocks of :data:`GRAM_BLOCK_ROWS` rows (columns of
    ``centred``). Exact for :class:`RankProducts`' centred ranks, whose every partial sum is
    exact in any order, so the same numbers as the one product (tested).

    Why: this runs in the families' thread beside the main thread's k-NN work, where a BLAS
    thread limit does nothing (this OpenBLAS ignores a count set off the main thread) or races
    the main thread's own. One 64 x 20,000 product is threaded, and its calling thread spins
    while it waits for a worker that busy cores do not schedule; products of 64 x 64 blocks
    run on the calling thread alone (OpenBLAS 0.3.31 here). Beside two busy processes, 64 x
    20,000 centred ranks: 0.32 s of thread CPU (1.3 s wall) as one product, 0.009 s (0.025 s)
    in blocks of 64 rows; idle, 0.005 s against 0.008-0.011 s."""
    p, n = centred.shape
    out = np.zeros((p, p), dtype=np.float64)
    for start in range(0, n, GRAM_BLOCK_ROWS):
        block = centred[:, start : start + GRAM_BLOCK_ROWS]
        out += block @ block.T
    return out


class RankProducts:
    """Every complete numeric column's centred average ranks and their products, from one
    matrix product: Spearman's rho of any two of them (the arithmetic of
    :func:`collectors.metrics.structure.pairs.spearman` on them, bit for bit).

    Exact, not just close: average ranks are multiples of 1/2 and so is their mean (n + 1) / 2,
    so the centred ranks are exact multiples of 1/2, their products exact multiples of 1/4, and
    every partial sum of a dot product is bounded by the larger squared norm, n (n^2 - 1) / 12;
    below :data:`MAX_EXACT_RANK_ROWS` rows that is under 2^51, where every multiple of 1/4 is a
    float64. Each sum is then exact whatever the order of its additions (a BLAS product's
    blocks, FMA or a loop), hence the same number as the pair's own dot product."""

    def __init__(self, values: dict[str, np.ndarray], names: Sequence[str]) -> None:
        rows = len(values[names[0]]) if names else 0
        complete = [name for name in names if not np.isnan(values[name]).any()]
        if rows < MIN_PAIR_ROWS or rows > MAX_EXACT_RANK_ROWS or not BATCHED_RANKS:
            complete = []
        self.index = {name: i for i, name in enumerate(complete)}  # may be empty
        if complete:
            ranks = average_ranks(np.stack([values[name] for name in complete]))
            centred = ranks - ranks.mean(axis=1, keepdims=True)
            self.products = single_threaded_gram(centred)
        else:
            self.products = np.empty((0, 0))

    def correlation(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Rho of the columns at positions ``first[k]`` and ``second[k]`` of :attr:`index`."""
        norms = np.diagonal(self.products)
        denominator = np.sqrt(norms[first] * norms[second])
        positive = denominator > 0
        ratio = np.zeros(len(first), dtype=np.float64)
        np.divide(self.products[first, second], denominator, out=ratio, where=positive)
        return np.where(positive, np.clip(ratio, -1.0, 1.0), 0.0)
