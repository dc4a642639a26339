"""The correlation matrix behind correlation_difference (issue 26, session 10: extremes from each
column's maximum and minimum, centred and normalised in place) equals the previous computation,
kept here, bit for bit, and pandas' Pearson correlation: real tables, constant columns, columns
of one sign and magnitudes near the float64 limit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine

from collectors.knn.engine import single_threaded_blas
from collectors.metrics.drift import _correlation_matrix, correlation_difference


def correlation_before(data: np.ndarray) -> np.ndarray:
    """drift._correlation_matrix at 992c3d5."""
    scale = np.abs(data).max(axis=0, initial=0.0)
    data = data / np.where(scale > 0, scale, 1.0)
    constant = np.ptp(data, axis=0) == 0
    centred = data - data.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    scaled = np.divide(centred, norms, out=np.zeros_like(centred), where=~constant)
    with single_threaded_blas():
        product = scaled.T @ scaled
    return np.clip(product, -1.0, 1.0)


def cases() -> dict[str, np.ndarray]:
    out = {
        loader.__name__: loader(return_X_y=True)[0].astype(np.float64)
        for loader in (load_digits, load_wine, load_breast_cancer, load_diabetes)
    }
    rng = np.random.default_rng(0)
    edge = rng.normal(size=(300, 7))
    edge[:, 1] = 3.0  # constant
    edge[:, 2] = 0.0  # constant zero
    edge[:, 3] = -1e308 * rng.random(300)  # negative, near the float64 limit
    edge[:, 4] = 1e308 * rng.random(300)
    edge[:, 5] = -rng.random(300) - 2.0  # negative only
    edge[::2, 6] = -0.0
    out["edge"] = edge
    return out


@pytest.mark.parametrize("name", list(cases()))
def test_correlation_matrix_equals_the_previous_computation(name: str) -> None:
    data = cases()[name]
    for rows in (data, data[:3], data[::-1]):
        assert _correlation_matrix(rows).tobytes() == correlation_before(rows).tobytes()


def test_correlation_matrix_equals_pandas_on_varying_columns() -> None:
    data = load_breast_cancer(return_X_y=True)[0]
    expected = pd.DataFrame(data).corr().to_numpy()
    assert np.allclose(_correlation_matrix(data), expected, rtol=0, atol=1e-12)
    half = len(data) // 2
    difference = correlation_difference(data[:half], data[half:])
    upper = np.triu_indices(data.shape[1], k=1)
    pandas = (
        pd.DataFrame(data[:half]).corr().to_numpy() - pd.DataFrame(data[half:]).corr().to_numpy()
    )
    assert abs(difference - np.abs(pandas[upper]).mean()) <= 1e-12
