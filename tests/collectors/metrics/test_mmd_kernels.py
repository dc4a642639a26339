"""squared_distances with its one-pass Numba kernel (collectors.metrics.mmd_kernels; issue 26)
gives the previous NumPy passes' blocks bit for bit, and the MMD its figure bit for bit, on real
tables (digits, wine, breast cancer), duplicates and a large offset (many exact recomputations,
more than the kernel's buffers)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.knn.engine import single_threaded_blas
from collectors.metrics import drift
from collectors.metrics.drift import BLOCK_ROWS, mmd_from_blocks, squared_distances
from collectors.metrics.mmd_kernels import count_gather


def squared_before(x: np.ndarray, y: np.ndarray, *, same: bool = False) -> np.ndarray:
    """squared_distances as it was before the kernel (its code at 1ebd650), the reference."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = x if same else np.ascontiguousarray(y, dtype=np.float64)
    x_norms = np.einsum("ij,ij->i", x, x)
    y_norms = x_norms if same else np.einsum("ij,ij->i", y, y)
    out = np.empty((x.shape[0], y.shape[0]), dtype=np.float64)
    with single_threaded_blas():
        for start in range(0, x.shape[0], BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, x.shape[0])
            block = out[start:stop]
            np.matmul(x[start:stop], y.T, out=block)
            block *= -2.0
            block += x_norms[start:stop, None]
            block += y_norms[None, :]
            limit = drift._EXACT_BELOW * (x_norms[start:stop, None] + y_norms.max(initial=0.0))
            rows, columns = np.nonzero(block <= limit)
            if rows.size:
                difference = x[start + rows] - y[columns]
                block[rows, columns] = np.einsum("ij,ij->i", difference, difference)
    if same:
        np.fill_diagonal(out, 0.0)
    return out


def check(x: np.ndarray, y: np.ndarray) -> None:
    for a, b, same in ((x, x, True), (y, y, True), (x, y, False), (y, x, False)):
        assert (
            squared_distances(a, b, same=same).tobytes()
            == squared_before(a, b, same=same).tobytes()
        )
    xx, yy = squared_distances(x, x, same=True), squared_distances(y, y, same=True)
    xx_before, yy_before = squared_before(x, x, same=True), squared_before(y, y, same=True)
    fast = mmd_from_blocks(xx, yy, squared_distances(x, y))
    assert fast == mmd_from_blocks(xx_before, yy_before, squared_before(x, y))


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_real_tables(loader) -> None:
    data = loader(return_X_y=True)[0].astype(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(data.shape[0])
    half = len(order) // 2
    check(data[order[:half]], data[order[half:]])  # digits: duplicated rows (exact zeros)
    check(data[order[:half]], data[order[half:]] + rng.normal(0, 0.1, data[order[half:]].shape))


def test_duplicates_and_cancellation() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1100, 16)) * 1e-3 + 1e4  # every entry cancels: all recomputed
    y = rng.normal(size=(700, 16)) * 1e-3 + 1e4
    check(x, y)
    z = np.repeat(rng.normal(size=(30, 8)), 40, axis=0)  # 40 copies of each row: many zeros
    check(z, z[::-1].copy())
    assert (squared_distances(z, z, same=True) >= 0).all()


@pytest.mark.parametrize("loader", [load_digits, load_wine])
def test_median_heuristic_in_one_pass_equals_a_full_sort(loader) -> None:
    # the zeros counted in the bracket's pass: the same median as sorting every distinct pair
    data = loader(return_X_y=True)[0].astype(np.float64)
    x, y = data[: len(data) // 2], data[len(data) // 2 :]
    xx, yy = squared_distances(x, x, same=True), squared_distances(y, y, same=True)
    xy = squared_distances(x, y)
    upper_x, upper_y = np.triu_indices(len(x), k=1), np.triu_indices(len(y), k=1)
    pairs = np.sort(np.concatenate([xx[upper_x], yy[upper_y], xy.ravel()]))
    positive = pairs[pairs > 0]
    middle = [(positive.size - 1) // 2, positive.size // 2]
    expected = float(np.mean(np.sqrt(positive[middle])))
    assert drift._median_heuristic(xx, yy, xy) == expected
    assert drift._median_heuristic(xx, yy, xy, np.sort(xx[upper_x])) == expected
    same = np.zeros((5, 5))
    assert drift._median_heuristic(same, same, np.zeros((5, 5))) == 1.0  # every distance 0


def test_count_gather_equals_numpy_over_the_distinct_pairs() -> None:
    # the branch-free pass: the counts, and the bracket's values in row-major order (the order
    # the median's partition sees), against NumPy over the upper triangles and the cross block
    data = load_digits(return_X_y=True)[0].astype(np.float64)
    x, y = data[:700], data[700:1500]
    xx, yy = squared_distances(x, x, same=True), squared_distances(y, y, same=True)
    xy = squared_distances(x, y)
    pairs = np.concatenate(
        [xx[np.triu_indices(len(x), k=1)], yy[np.triu_indices(len(y), k=1)], xy.ravel()]
    )
    low, high = np.quantile(pairs[pairs > 0], [0.46, 0.54])
    below, zeros, inside = count_gather(xx, yy, xy, low, high, True)
    assert below == int((pairs < low).sum()) and zeros == int((pairs == 0).sum())
    assert inside.tobytes() == pairs[(pairs >= low) & (pairs <= high)].tobytes()
    _, zeros_only, nothing = count_gather(xx, np.empty((0, 0)), xy, 0.0, 0.0, False)
    upper_x = xx[np.triu_indices(len(x), k=1)]
    assert zeros_only == int((upper_x == 0).sum() + (xy == 0).sum()) and nothing.size == 0
