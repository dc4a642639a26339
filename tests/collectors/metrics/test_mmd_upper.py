"""The MMD's blocks above the diagonal only, its median's narrower bracket and its one-thread
count (issue 26, session 10) against the previous computation kept here (full blocks, every
distinct pair sorted), on real tables (digits, wine, breast cancer, diabetes), duplicates,
cancellation and when the bracket misses.

The median is exact by construction: asserted equal to the sorted pairs' of the same blocks. The
blocks above the diagonal are BLAS products of the same rows over fewer columns: bit for bit with
this project's OpenBLAS (measured on the development machines), but another BLAS kernel may round
a narrower product differently, so the blocks are held within 1e-12 relative (exact zeros exact)
and the MMD within ``MMD_TOLERANCE``, where it was equal bit for bit here."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine

from collectors.metrics import drift
from collectors.metrics.drift import (
    BLOCK_ROWS,
    MMD_TOLERANCE,
    mmd_from_blocks,
    mmd_rbf,
    squared_distances,
)
from collectors.metrics.mmd_kernels import kernel_sum
from collectors.metrics.mmd_reference import MmdReference

from .test_mmd_kernels import squared_before


def median_by_sort(xx: np.ndarray, yy: np.ndarray, xy: np.ndarray) -> float:
    """The median heuristic by definition: every distinct positive pair, sorted."""
    pairs = np.sort(
        np.concatenate(
            [
                xx[np.triu_indices(len(xx), k=1)],
                yy[np.triu_indices(len(yy), k=1)],
                xy.ravel(),
            ]
        )
    )
    positive = pairs[pairs > 0]
    if positive.size == 0:
        return 1.0
    middle = [(positive.size - 1) // 2, positive.size // 2]
    return float(np.mean(np.sqrt(positive[middle])))


def mmd_before(real: np.ndarray, synthetic: np.ndarray, max_samples: int, seed: int) -> float:
    """The MMD as computed before (992c3d5): full blocks (squared_before), the median of every
    sorted pair, the kernel sums over the upper triangles."""
    rng = np.random.default_rng(seed)
    x = drift._subsample(real, max_samples, rng)
    y = drift._subsample(synthetic, max_samples, rng)
    xx, yy = squared_before(x, x, same=True), squared_before(y, y, same=True)
    xy = squared_before(x, y)
    sigma = median_by_sort(xx, yy, xy)
    scale = -1.0 / (2.0 * sigma * sigma)
    m, n = len(x), len(y)
    k_xx = 2.0 * kernel_sum(xx, scale, True)
    k_yy = 2.0 * kernel_sum(yy, scale, True)
    k_xy = kernel_sum(xy, scale, False)
    return float(k_xx / (m * (m - 1)) + k_yy / (n * (n - 1)) - 2.0 * k_xy / (m * n))


def close_blocks(now: np.ndarray, before: np.ndarray) -> bool:
    """Within 1e-12 of the largest entry, and the exact zeros (duplicates) the same."""
    scale = max(float(np.abs(before).max(initial=0.0)), 1.0)
    return bool(np.abs(now - before).max(initial=0.0) <= 1e-12 * scale) and bool(
        np.array_equal(now == 0, before == 0)
    )


def tables() -> dict[str, np.ndarray]:
    out = {}
    for loader in (load_digits, load_wine, load_breast_cancer, load_diabetes):
        out[loader.__name__] = loader(return_X_y=True)[0].astype(np.float64)
    return out


@pytest.mark.parametrize("name", ["load_digits", "load_wine", "load_breast_cancer"])
def test_upper_blocks_equal_the_full_blocks_above_the_diagonal(name: str) -> None:
    data = tables()[name]
    upper = np.triu(np.ones((len(data), len(data)), dtype=bool), k=1)
    for x in (data, data + np.random.default_rng(0).normal(0, 0.1, data.shape)):
        full = squared_before(x, x, same=True)
        half = squared_distances(x, x, same=True, upper=True)
        assert close_blocks(half[upper], full[upper])
        assert not half[~upper].any()  # the diagonal and below: 0


def test_upper_blocks_with_cancellation_and_more_recomputations_than_the_buffers() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2 * BLOCK_ROWS + 77, 16)) * 1e-3 + 1e4  # every entry recomputed
    z = np.repeat(rng.normal(size=(30, 8)), 40, axis=0)  # 40 copies of each row: many zeros
    for data in (x, z):
        upper = np.triu(np.ones((len(data), len(data)), dtype=bool), k=1)
        full = squared_before(data, data, same=True)
        half = squared_distances(data, data, same=True, upper=True)
        assert close_blocks(half[upper], full[upper])
        assert not half[~upper].any()
    with pytest.raises(ValueError, match="upper"):
        squared_distances(x, z, upper=True)


@pytest.mark.parametrize(
    "name", ["load_digits", "load_wine", "load_breast_cancer", "load_diabetes"]
)
def test_mmd_equals_the_previous_computation(name: str) -> None:
    data = tables()[name]
    rng = np.random.default_rng(2)
    order = rng.permutation(len(data))
    half = len(order) // 2
    real, synthetic = data[order[:half]], data[order[half:]]
    for shifted in (synthetic, synthetic * 1.1 + 0.5):
        for max_samples in (2000, 150):
            expected = mmd_before(real, shifted, max_samples, 5)
            now = mmd_rbf(real, shifted, max_samples=max_samples, seed=5)
            assert abs(now - expected) <= MMD_TOLERANCE
            prepared = MmdReference(real, max_samples=max_samples, seed=5)
            assert prepared(shifted) == now


def test_mmd_with_duplicated_rows_equals_the_previous_computation() -> None:
    rng = np.random.default_rng(3)
    real = np.repeat(rng.normal(size=(300, 5)), 4, axis=0)  # zero distances among the pairs
    synthetic = np.repeat(rng.normal(size=(500, 5)), 3, axis=0)
    assert abs(mmd_rbf(real, synthetic, seed=1) - mmd_before(real, synthetic, 2000, 1)) <= (
        MMD_TOLERANCE
    )
    flat = np.zeros((40, 3))  # every distance 0: sigma 1.0, MMD 0
    assert mmd_rbf(flat, flat[:10]) == mmd_before(flat, flat[:10], 2000, 0) == 0.0


def blocks(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y = data[: len(data) // 2], data[len(data) // 2 :]
    return (
        squared_distances(x, x, same=True, upper=True),
        squared_distances(y, y, same=True, upper=True),
        squared_distances(x, y),
    )


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.45])
def test_median_when_the_bracket_misses(monkeypatch: pytest.MonkeyPatch, shift: float) -> None:
    # A sample whose middle is off the pairs' by ``shift`` in rank: 0.0 found in the first
    # bracket, 0.05 in the wider one, 0.45 by partitioning every pair: the same median each time.
    xx, yy, xy = blocks(load_digits(return_X_y=True)[0].astype(np.float64))
    expected = median_by_sort(xx, yy, xy)
    positive = np.sort(np.concatenate([xx[xx > 0], yy[yy > 0], xy[xy > 0]]))
    ranks = np.clip(np.linspace(0.0, 1.0, 20_000) + shift, 0.0, 1.0) * (positive.size - 1)
    sample = positive[ranks.astype(np.int64)]
    monkeypatch.setattr(drift, "_bracket_sample", lambda *_: sample)
    passes: list[float] = []  # the brackets' passes (the low end of each)
    count_gather = drift.count_gather

    def counted(
        xx: np.ndarray, yy: np.ndarray, xy: np.ndarray, low: float, high: float, gather: bool
    ) -> tuple[int, int, np.ndarray]:
        passes.append(low)
        return count_gather(xx, yy, xy, low, high, gather)

    monkeypatch.setattr(drift, "count_gather", counted)
    assert drift._median_heuristic(xx, yy, xy) == expected
    assert len(passes) == {0.0: 1, 0.05: 2, 0.45: 2}[shift]
    upper = np.triu_indices(len(xx), k=1)
    assert drift._median_heuristic(xx, yy, xy, np.sort(xx[upper])) == expected


def test_median_of_full_and_upper_blocks_is_the_same() -> None:
    data = load_wine(return_X_y=True)[0].astype(np.float64)
    x, y = data[:90], data[90:]
    full = (squared_before(x, x, same=True), squared_before(y, y, same=True))
    xy = squared_distances(x, y)
    xx, yy, _ = blocks(data[:180])
    assert drift._median_heuristic(*full, xy) == median_by_sort(*full, xy)
    assert drift._median_heuristic(xx, yy, xy) == median_by_sort(xx, yy, xy)
    upper_blocks = (
        squared_distances(x, x, same=True, upper=True),
        squared_distances(y, y, same=True, upper=True),
    )
    assert abs(mmd_from_blocks(*full, xy) - mmd_from_blocks(*upper_blocks, xy)) <= MMD_TOLERANCE
