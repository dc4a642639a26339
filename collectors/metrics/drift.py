"""Drift statistics for reports: per-feature KS and total variation, correlations, and MMD.

Column shapes and pair trends follow SDMetrics' KSComplement / TVComplement and
CorrelationSimilarity (reported here as distances, 0 = identical); the multivariate figure is the
unbiased squared MMD of Gretton et al. 2012 (JMLR 13, 723-773, "A Kernel Two-Sample Test").

Pure functions: arrays in, numbers out; no I/O, no global state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from collectors.knn.engine import single_threaded_blas
from collectors.metrics.ks_kernel import ks_sorted
from collectors.metrics.mmd_kernels import count_gather, expand_block, kernel_sum
from collectors.metrics.tails import as_labels, feature_names
from collectors.sources import as_matrix, check_pair

DriftKind = Literal["numeric", "categorical"]

__all__ = [
    "DriftKind",
    "FeatureDrift",
    "correlation_difference",
    "ks_statistics",
    "mmd_rbf",
    "rank_drift",
    "squared_distances",
    "total_variation",
]


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift: the KS statistic (numeric) or the total variation (categorical)."""

    feature: str
    statistic: float
    kind: DriftKind


def sorted_columns(array: np.ndarray) -> np.ndarray:
    """Each column of ``array`` sorted, as the rows of a contiguous (columns x rows) copy."""
    columns = np.ascontiguousarray(array.T)
    if np.may_share_memory(columns, array):  # a view: sort a copy
        columns = columns.copy()
    columns.sort(axis=1)
    return columns


def ks_statistics(
    real: object,
    synthetic: object,
    *,
    real_sorted: np.ndarray | None = None,
    synthetic_columns: np.ndarray | None = None,
) -> np.ndarray:
    """Per-column two-sample Kolmogorov-Smirnov statistic D = sup_x |F_real(x) - F_synthetic(x)|.

    Both empirical CDFs are evaluated right-continuously at every pooled data point, as
    ``scipy.stats.ks_2samp`` does (its statistic, the same for every ``method``), so ties are
    handled the same way and the values agree exactly: at each real and each synthetic value x,
    the integer counts of each sample at or below x (both sorted columns walked together in one
    merge, :func:`collectors.metrics.ks_kernel.ks_sorted`), divided by the sample sizes.
    ``real_sorted``: ``np.sort(real, axis=0)``, when one reference meets many samples;
    ``synthetic_columns``: :func:`sorted_columns` of ``synthetic``, when the caller has them.
    Returns an array of shape (n_features,) with values in [0, 1].
    """
    real_array, synthetic_array = check_pair(real, synthetic)
    if real_sorted is None:
        real_sorted = np.sort(real_array, axis=0)
    # Both sorted columns walked together (collectors.metrics.ks_kernel): the same counts at the
    # same points, the same arithmetic, O(n + m) a column; each column contiguous (rows of the
    # transposes: sorted along rows, walked along rows).
    # (``real_sorted`` in Fortran order: its transpose is already contiguous, no copy.)
    real_columns = np.ascontiguousarray(real_sorted.T)
    if synthetic_columns is None:
        synthetic_columns = sorted_columns(synthetic_array)
    return ks_sorted(real_columns, synthetic_columns)


def total_variation(
    real_labels: object, synthetic_labels: object, *, feature: str | None = None
) -> float:
    """Total variation distance 0.5 * sum_c |p_real(c) - p_synthetic(c)| over the union of labels.

    In [0, 1]: 0 for identical category frequencies, 1 for disjoint supports (SDMetrics
    TVComplement reports 1 - this). ``feature`` only names the input in error messages.
    """
    real = Counter(as_labels(real_labels, "real_labels", feature=feature))
    synthetic = Counter(as_labels(synthetic_labels, "synthetic_labels", feature=feature))
    n_real, n_synthetic = real.total(), synthetic.total()
    categories = real.keys() | synthetic.keys()
    return 0.5 * sum(abs(real[c] / n_real - synthetic[c] / n_synthetic) for c in categories)


def _correlation_matrix(data: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix with every entry of a constant column set to 0.

    Each column is first divided by its largest magnitude (correlation does not change), so
    values near the float64 limit (1e308) cannot overflow the mean or the sums of squares.
    The largest magnitude and the range come from each column's maximum and minimum (rounding
    is monotone: the scaled column's extremes are the extremes scaled), and the scaled copy is
    centred and normalised in place: the same values as abs, ptp and two more copies.
    """
    high = data.max(axis=0, initial=-np.inf)
    low = data.min(axis=0, initial=np.inf)
    scale = np.maximum(np.maximum(high, -low), 0.0)  # np.abs(data).max(axis=0, initial=0.0)
    divisor = np.where(scale > 0, scale, 1.0)
    constant = high / divisor - low / divisor == 0  # np.ptp of the scaled columns
    centred = data / divisor
    centred -= centred.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    np.divide(centred, norms, out=centred, where=~constant)
    centred[:, constant] = 0.0
    with single_threaded_blas():
        product = centred.T @ centred
    return np.clip(product, -1.0, 1.0)


def reference_correlation(real: object) -> np.ndarray:
    """The real side of :func:`correlation_difference`, computed once for many samples."""
    return _correlation_matrix(as_matrix(real, "real"))


def correlation_difference(
    real: object, synthetic: object, *, real_correlation: np.ndarray | None = None
) -> float:
    """Mean absolute difference of the real and synthetic Pearson correlation matrices.

    Averaged over the upper-triangle entries (i < j), like SDMetrics CorrelationSimilarity
    (which reports 1 - this / 2); in [0, 2]. A constant column has no correlation: its entries
    count as 0 in the matrix where it is constant (so a column constant in both adds 0). With
    fewer than 2 columns there is no pair and the result is 0.0. ``real_correlation``:
    :func:`reference_correlation` of ``real``, when one reference meets many samples.
    """
    real_array, synthetic_array = check_pair(real, synthetic)
    n_features = real_array.shape[1]
    if n_features < 2:
        return 0.0
    upper = np.triu_indices(n_features, k=1)
    if real_correlation is None:
        real_correlation = _correlation_matrix(real_array)
    difference = real_correlation - _correlation_matrix(synthetic_array)
    return float(np.abs(difference[upper]).mean())


MMD_TOLERANCE = 1e-9  # |mmd_rbf - the same with scipy cdist distances|, absolute (tested)
BLOCK_ROWS = 512  # rows of one BLAS product block of squared_distances
_EXACT_BELOW = 64 * np.finfo(np.float64).eps  # relative to ||x||^2 + ||y||^2: recomputed exactly


def squared_distances(
    x: np.ndarray, y: np.ndarray, *, same: bool = False, upper: bool = False
) -> np.ndarray:
    """Squared Euclidean distances ``D[i, j] = ||x_i - y_j||^2`` as ||x||^2 + ||y||^2 - 2 x.y.

    The products ``x[block] @ y.T`` run on BLAS in blocks of ``BLOCK_ROWS`` rows (float64), as
    in the k-NN engine (:mod:`collectors.knn.kernels`). The expanded form loses absolute precision
    of about eps * (||x||^2 + ||y||^2) per entry: entries within 64 eps of that scale (duplicates,
    near-duplicates) are recomputed exactly from the differences, so equal rows give exactly 0,
    and negative rounding never survives. ``same``: ``y`` is ``x`` (the diagonal is exactly 0);
    ``upper`` (with ``same``): only the entries above the diagonal, the others 0 (each block's
    product over its columns from the diagonal on: about half the work; each entry the same
    product of the same rows, the same expansion and the same exact recomputations).
    """
    if upper and not same:
        raise ValueError("upper: only for the distances of x to itself (same=True)")
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = x if same else np.ascontiguousarray(y, dtype=np.float64)
    x_norms = np.einsum("ij,ij->i", x, x)
    y_norms = x_norms if same else np.einsum("ij,ij->i", y, y)
    shape = (x.shape[0], y.shape[0])
    out = np.zeros(shape) if upper else np.empty(shape, dtype=np.float64)
    with single_threaded_blas():
        _fill_squared(x, y, x_norms, y_norms, out, upper)
    if same and not upper:
        np.fill_diagonal(out, 0.0)
    return out


def _fill_squared(
    x: np.ndarray,
    y: np.ndarray,
    x_norms: np.ndarray,
    y_norms: np.ndarray,
    out: np.ndarray,
    upper: bool = False,
) -> None:
    """:func:`squared_distances`' blocks, written into ``out`` (``upper``: from each block's
    diagonal on)."""
    largest = float(y_norms.max(initial=0.0))
    rows = np.empty(4 * BLOCK_ROWS + 64, dtype=np.int64)  # the flagged entries of a block
    columns = np.empty_like(rows)
    for start in range(0, x.shape[0], BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, x.shape[0])
        block = out[start:stop]
        first = start if upper else 0
        np.matmul(x[start:stop], y[first:].T, out=block[:, first:])
        # One pass (collectors.metrics.mmd_kernels): block * -2 + ||x||^2 + ||y||^2, and the
        # entries under the cancellation limit, conservative (the largest ||y||^2): a few more
        # entries recomputed, no temporary matrix.
        count = expand_block(
            block,
            x_norms[start:stop],
            y_norms,
            _EXACT_BELOW,
            largest,
            rows,
            columns,
            start if upper else -1,
        )
        if count > rows.size:  # more than the buffers hold: found again (same entries)
            limit = _EXACT_BELOW * (x_norms[start:stop, None] + largest)
            flagged = block <= limit
            if upper:  # the expanded entries only: those after the diagonal
                flagged &= np.arange(stop - start)[:, None] < np.arange(y.shape[0]) - start
            found = np.nonzero(flagged)
        else:
            found = rows[:count], columns[:count]
        if count:
            rows_found, columns_found = found
            difference = x[start + rows_found] - y[columns_found]
            block[rows_found, columns_found] = np.einsum("ij,ij->i", difference, difference)


def _subsample(data: np.ndarray, max_samples: int, rng: np.random.Generator) -> np.ndarray:
    if data.shape[0] <= max_samples:
        return data
    return data[rng.choice(data.shape[0], size=max_samples, replace=False)]


def _median_heuristic(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, xx_sorted: np.ndarray | None = None
) -> float:
    """Median of the non-zero Euclidean distances over the distinct pairs of the pooled sample.

    Takes the squared-distance blocks (sqrt is monotone, so the middle squared distances give the
    middle distances). Exact selection in one pass instead of partitioning all the pairs: the
    quantiles of a strided sample bracket the middle, one pass counts the pairs at distance 0 and
    below the bracket and gathers those inside it, and only the gathered ones are partitioned;
    when the bracket misses the middle, a bracket four times as wide is tried, then every pair is
    partitioned (:func:`_median_all`). The bracket only decides which pairs are partitioned: the
    median is the same whatever the sample. ``xx_sorted``: the sorted upper triangle of ``xx`` (a
    prepared reference, :class:`MmdReference`): its counts and bracket come from binary searches
    instead of a pass, and its share of the sample from evenly spaced ranks (the same pairs, the
    same median).
    """
    m, n = xx.shape[0], yy.shape[0]
    scanned = xx if xx_sorted is None else np.empty((0, 0))  # the blocks the passes read
    sample = _bracket_sample(xx, yy, xy, xx_sorted)
    # xx's pairs at 0, from its sorted triangle when prepared (else counted by the passes)
    xx_zeros = 0 if xx_sorted is None else int(np.searchsorted(xx_sorted, 0.0, side="right"))
    zeros = None
    total = m * (m - 1) // 2 + n * (n - 1) // 2 + xy.size
    if sample.size > 100:
        # The sample's middle quantile is off the pairs' by about 0.5 / sqrt(size) in rank: a
        # bracket of 6 of those either side (measured on real tables: within 2.5).
        half = min(0.1, max(0.01, 3.0 / math.sqrt(sample.size)))
        for width in (half, 4.0 * half):
            low, high = np.quantile(sample, [0.5 - width, 0.5 + width])
            below, zeros, inside = count_gather(scanned, yy, xy, low, high, True)
            zeros += xx_zeros
            if xx_sorted is not None:  # xx's pairs < low, and those in [low, high]
                first = int(np.searchsorted(xx_sorted, low, side="left"))
                last = int(np.searchsorted(xx_sorted, high, side="right"))
                below += first
                inside = np.concatenate([xx_sorted[first:last], inside])
            positive = total - zeros
            if positive == 0:
                return 1.0
            middle = sorted({zeros + (positive - 1) // 2, zeros + positive // 2})
            ranks = [r - below for r in middle]
            if ranks[0] >= 0 and ranks[-1] < inside.size:
                inside.partition(ranks)
                return float(np.mean(np.sqrt(inside[ranks])))
    if zeros is None:
        _, zeros, _ = count_gather(scanned, yy, xy, 0.0, 0.0, False)
        zeros += xx_zeros
    positive = total - zeros
    if positive == 0:
        return 1.0
    return _median_all(xx, yy, xy, zeros, positive)


def _bracket_sample(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, xx_sorted: np.ndarray | None
) -> np.ndarray:
    """The positive values of a sample of about 40,000 of the pooled pairs, one in ``step`` of
    each block's distinct pairs: strided over each block (xx and yy above the diagonal only, so
    that they may be given as upper triangles), each stride prime to its block's width so that it
    visits every column (a stride sharing a factor with the width reads a few columns only, and
    its quantiles can miss the middle); from ``xx_sorted`` (when given) at evenly spaced ranks."""
    step = max(1, xy.size // 20_000)
    part = _upper_sample(xx, step) if xx_sorted is None else xx_sorted[step // 2 :: step]
    sample = np.concatenate(
        [part, _upper_sample(yy, step), xy.ravel()[:: _stride(step, xy.shape[1])]]
    )
    return sample[sample > 0]


def _upper_sample(block: np.ndarray, step: int) -> np.ndarray:
    """Every ``_stride(step, width)``-th entry of ``block`` (row-major) above its diagonal."""
    width = block.shape[1]
    positions = np.arange(0, block.size, _stride(step, width))
    return block.ravel()[positions[positions % width > positions // width]]


def _stride(step: int, width: int) -> int:
    """The smallest stride >= ``step`` prime to ``width`` (1 for an empty block)."""
    while width > 1 and math.gcd(step, width) != 1:
        step += 1
    return step


def _median_all(xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, zeros: int, positive: int) -> float:
    """The middle of every pair, partitioned in one flat copy (the fallback)."""
    squared = np.concatenate(
        [
            xx[np.triu(np.ones(xx.shape, dtype=bool), k=1)],
            yy[np.triu(np.ones(yy.shape, dtype=bool), k=1)],
            xy.ravel(),
        ]
    )
    middle = sorted({zeros + (positive - 1) // 2, zeros + positive // 2})
    squared.partition(middle)
    return float(np.mean(np.sqrt(squared[middle])))


def mmd_rbf(real: object, synthetic: object, *, max_samples: int = 2000, seed: int = 0) -> float:
    """Unbiased squared maximum mean discrepancy with an RBF kernel (Gretton et al. 2012, eq. 3).

    MMD_u^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1))
              - 2 sum_{i, j} k(x_i, y_j) / (m n),  k(x, y) = exp(-||x - y||^2 / (2 sigma^2)).
    sigma is the median heuristic used in the paper's experiments: the median Euclidean distance
    over all distinct pairs of the pooled subsample, zero distances excluded; when every distance
    is 0 the kernel is 1 everywhere and the result is 0 whatever sigma (1.0 is used). Each input
    is first subsampled uniformly without replacement to at most ``max_samples`` rows with
    ``np.random.default_rng(seed)`` (real first, then synthetic), so the peak memory stays about
    50 * max_samples^2 bytes (200 MB at the default). Unbiased: near 0, possibly slightly
    negative, for equal distributions. Needs at least 2 rows on each side.

    The squared distances come from :func:`squared_distances` (BLAS products, as the k-NN
    engine's): the result equals the direct pairwise computation (``scipy.spatial.distance.cdist``)
    within ``MMD_TOLERANCE`` (absolute; float64 rounding of the expanded form). The kernel sums
    use a vectorised exp (:func:`collectors.metrics.mmd_kernels.kernel_sum`), within a few ulp of
    libm's per term: the sums with libm's exp are within ``MMD_TOLERANCE`` too (tested).
    """
    if isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer)):
        raise ValueError(f"max_samples must be an integer, got {max_samples!r}")
    if max_samples < 2:
        raise ValueError(f"max_samples must be at least 2, got {max_samples}")
    real_array, synthetic_array = check_pair(real, synthetic)
    for name, array in (("real", real_array), ("synthetic", synthetic_array)):
        if array.shape[0] < 2:
            raise ValueError(f"{name}: has {array.shape[0]} row; the unbiased MMD needs at least 2")
    rng = np.random.default_rng(seed)
    x = _subsample(real_array, int(max_samples), rng)
    y = _subsample(synthetic_array, int(max_samples), rng)
    xx = squared_distances(x, x, same=True, upper=True)
    yy = squared_distances(y, y, same=True, upper=True)
    xy = squared_distances(x, y)
    return mmd_from_blocks(xx, yy, xy)


def mmd_from_blocks(
    xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, xx_sorted: np.ndarray | None = None
) -> float:
    """:func:`mmd_rbf` from its squared-distance blocks (``xx``, ``yy``: their entries above the
    diagonal are read, full or ``upper``; ``xx_sorted``: see :func:`_median_heuristic`)."""
    m, n = xx.shape[0], yy.shape[0]
    sigma = _median_heuristic(xx, yy, xy, xx_sorted)
    scale = -1.0 / (2.0 * sigma * sigma)
    # sum_{i != j} k(x_i, x_j) = 2 sum_{i < j}: the symmetric blocks' upper triangles only.
    k_xx = 2.0 * kernel_sum(xx, scale, True)
    k_yy = 2.0 * kernel_sum(yy, scale, True)
    k_xy = kernel_sum(xy, scale, False)
    return float(k_xx / (m * (m - 1)) + k_yy / (n * (n - 1)) - 2.0 * k_xy / (m * n))


def rank_drift(
    real: object | None = None,
    synthetic: object | None = None,
    *,
    features: Sequence[str] | None = None,
    categorical: Mapping[str, tuple[object, object]] | None = None,
) -> list[FeatureDrift]:
    """Every feature's drift, largest first (ties by feature name), to point reports at culprits.

    ``real``/``synthetic``: numeric matrices (both or neither), one KS statistic per column, named
    by ``features`` ("0", "1", ... when None). ``categorical``: feature name -> (real labels,
    synthetic labels), one total variation each. KS and TV both lie in [0, 1], so one ranking holds.
    """
    if (real is None) != (synthetic is None):
        raise ValueError("real and synthetic must be given together (or both left out)")
    drifts: list[FeatureDrift] = []
    if real is not None:
        given = None if features is None else [str(name) for name in features]
        real_array, synthetic_array = check_pair(real, synthetic, columns=given)
        names = feature_names(given, real_array.shape[1])
        statistics = ks_statistics(real_array, synthetic_array)
        drifts.extend(
            FeatureDrift(name, float(statistic), "numeric")
            for name, statistic in zip(names, statistics, strict=True)
        )
    elif features is not None:
        raise ValueError("features names numeric columns, but no numeric data was given")
    for name, (real_labels, synthetic_labels) in (categorical or {}).items():
        if any(d.feature == name for d in drifts):
            raise ValueError(f"feature {name!r} is both numeric and categorical")
        statistic = total_variation(real_labels, synthetic_labels, feature=name)
        drifts.append(FeatureDrift(name, statistic, "categorical"))
    return sorted(drifts, key=lambda d: (-d.statistic, d.feature))
