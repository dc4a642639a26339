"""MMD on the BLAS path (issue 26) equals the direct pairwise computation within its documented
tolerance: the previous implementation (scipy ``cdist``) is kept here as the independent one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits

from collectors.metrics.drift import (
    MMD_TOLERANCE,
    _median_heuristic,
    _subsample,
    mmd_rbf,
    squared_distances,
)


def mmd_cdist(real: np.ndarray, synthetic: np.ndarray, max_samples: int = 2000, seed: int = 0):
    """Gretton et al. 2012, eq. 3, with scipy's direct pairwise distances (the code before)."""
    rng = np.random.default_rng(seed)
    x = _subsample(np.asarray(real, dtype=np.float64), max_samples, rng)
    y = _subsample(np.asarray(synthetic, dtype=np.float64), max_samples, rng)
    m, n = x.shape[0], y.shape[0]
    xx, yy, xy = (cdist(a, b, "sqeuclidean") for a, b in ((x, x), (y, y), (x, y)))
    sigma = _median_heuristic(xx, yy, xy)
    kernels = [np.exp(block / (-2.0 * sigma * sigma)) for block in (xx, yy, xy)]
    np.fill_diagonal(kernels[0], 0.0)
    np.fill_diagonal(kernels[1], 0.0)
    return float(
        kernels[0].sum() / (m * (m - 1))
        + kernels[1].sum() / (n * (n - 1))
        - 2.0 * kernels[2].sum() / (m * n)
    )


def test_squared_distances_equal_cdist_and_duplicates_are_exactly_zero() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(700, 64)) * 50 + 1e3  # a large offset: the expanded form cancels
    y = rng.normal(size=(600, 64)) * 50 + 1e3
    y[:25] = x[:25]
    blas, direct = squared_distances(x, y), cdist(x, y, "sqeuclidean")
    assert np.abs(blas - direct).max() <= 1e-9 * direct.max()
    assert np.array_equal(blas == 0, direct == 0)
    assert (blas >= 0).all()
    same = squared_distances(x, x, same=True)
    assert np.array_equal(np.diag(same), np.zeros(len(x)))
    assert np.allclose(same, cdist(x, x, "sqeuclidean"), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("shift", [0.0, 0.3, 2.0])
def test_mmd_equals_the_cdist_computation_on_real_data(shift: float) -> None:
    digits = load_digits().data.astype(np.float64)  # 1797 x 64, many repeated values
    rng = np.random.default_rng(1)
    order = rng.permutation(len(digits))
    real, synthetic = digits[order[:1000]], digits[order[1000:]] + shift
    for max_samples in (2000, 300):
        fast = mmd_rbf(real, synthetic, max_samples=max_samples, seed=3)
        direct = mmd_cdist(real, synthetic, max_samples=max_samples, seed=3)
        assert abs(fast - direct) <= MMD_TOLERANCE, (shift, fast, direct)


def test_mmd_with_duplicated_rows_equals_the_cdist_computation() -> None:
    rng = np.random.default_rng(2)
    real = rng.normal(size=(400, 8))
    synthetic = np.repeat(real[:40], 5, axis=0)  # mode collapse: exact copies
    assert abs(mmd_rbf(real, synthetic) - mmd_cdist(real, synthetic)) <= MMD_TOLERANCE
    assert abs(mmd_rbf(synthetic, synthetic) - mmd_cdist(synthetic, synthetic)) <= MMD_TOLERANCE


@pytest.mark.parametrize("offset", [0.0, 30.0])
def test_the_bracketed_median_is_the_exact_median(offset: float) -> None:
    """The two-pass selection picks the same middle pairs as partitioning them all, whether the
    sampled bracket holds the middle (offset 0) or misses it and falls back (far apart sets)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 5))
    y = rng.normal(size=(250, 5)) + offset
    y[:5] = y[5:10]  # ties at distance 0 are left out of the median
    xx, yy, xy = (squared_distances(a, b, same=a is b) for a, b in ((x, x), (y, y), (x, y)))
    pairs = np.concatenate([xx[np.triu_indices(300, 1)], yy[np.triu_indices(250, 1)], xy.ravel()])
    positive = np.sort(pairs[pairs > 0])
    half = positive.size // 2
    middle = positive[[half - 1, half]] if positive.size % 2 == 0 else positive[[half]]
    assert _median_heuristic(xx, yy, xy) == float(np.mean(np.sqrt(middle)))
