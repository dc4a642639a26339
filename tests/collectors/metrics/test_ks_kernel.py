"""The KS merge kernel (collectors.metrics.ks_kernel; issue 26) gives ks_statistics' previous
computation (four binary searches per column) bit for bit, and scipy's ks_2samp statistic, on
real tables (digits, wine, breast cancer), heavy ties, constant and one-row columns."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.metrics.drift import ks_statistics
from collectors.metrics.missing import observed_numeric


def binary_searches(real: np.ndarray, synthetic: np.ndarray) -> np.ndarray:
    """ks_statistics before the merge kernel (its code at 1ebd650), the reference here."""
    real_sorted, synthetic_sorted = np.sort(real, axis=0), np.sort(synthetic, axis=0)
    n_real, n_synthetic = real.shape[0], synthetic.shape[0]
    out = np.empty(real.shape[1])
    for j in range(real.shape[1]):
        r, s = real_sorted[:, j], synthetic_sorted[:, j]
        at_real = np.abs(
            np.searchsorted(r, r, side="right") / n_real
            - np.searchsorted(s, r, side="right") / n_synthetic
        )
        at_synthetic = np.abs(
            np.searchsorted(r, s, side="right") / n_real
            - np.searchsorted(s, s, side="right") / n_synthetic
        )
        out[j] = max(at_real.max(), at_synthetic.max())
    return out


def check(real: np.ndarray, synthetic: np.ndarray) -> None:
    expected = binary_searches(real, synthetic)
    got = ks_statistics(real, synthetic)
    assert got.tobytes() == expected.tobytes()  # bit for bit
    prepared = ks_statistics(real, synthetic, real_sorted=np.sort(real, axis=0))
    assert prepared.tobytes() == expected.tobytes()
    for j in range(real.shape[1]):
        assert got[j] == pytest.approx(ks_2samp(real[:, j], synthetic[:, j]).statistic, abs=1e-15)


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_real_tables(loader) -> None:
    data = loader(return_X_y=True)[0].astype(np.float64)
    rng = np.random.default_rng(0)
    half = rng.permutation(data.shape[0])
    real, synthetic = data[half[: len(half) // 2]], data[half[len(half) // 2 :]]
    check(real, synthetic)  # digits: 17 values a pixel, ties everywhere
    check(real, synthetic[: max(2, synthetic.shape[0] // 7)])
    jittered = synthetic + rng.normal(0, 0.3, synthetic.shape)
    check(real, jittered)
    check(real, real.copy())  # identical samples: 0


def test_ties_constants_and_single_rows() -> None:
    rng = np.random.default_rng(1)
    real = rng.integers(0, 3, (500, 4)).astype(np.float64)
    synthetic = rng.integers(1, 5, (333, 4)).astype(np.float64)
    real[:, 3] = 7.0  # constant column
    synthetic[:, 3] = 7.0
    check(real, synthetic)
    check(real, np.full((1, 4), 2.0))  # one synthetic row
    check(np.full((1, 4), -1.0), synthetic)
    check(np.array([[0.0], [-0.0], [1.0]]), np.array([[-0.0], [0.0]]))  # signed zeros tie
    check(np.array([[1e308], [-1e308]]), np.array([[5e-324], [-5e-324], [0.0]]))
    assert ks_statistics(np.zeros((3, 1)), np.ones((2, 1))).tolist() == [1.0]


def test_observed_values_with_nan() -> None:
    # the per-column path of missing cells: each column on its own observed rows
    data = load_wine(return_X_y=True)[0]
    rng = np.random.default_rng(2)
    real, synthetic = data[:100].copy(), data[100:].copy()
    real[rng.random(real.shape) < 0.2] = np.nan
    synthetic[rng.random(synthetic.shape) < 0.3] = np.nan
    ks, _, _ = observed_numeric(real, synthetic, [str(j) for j in range(data.shape[1])])
    for j in range(data.shape[1]):
        r = real[np.isfinite(real[:, j]), j][:, None]
        s = synthetic[np.isfinite(synthetic[:, j]), j][:, None]
        assert ks[j] == binary_searches(r, s)[0]
