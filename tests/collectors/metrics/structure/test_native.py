"""collectors.metrics.structure._native: the histogram models without scikit-learn's per-call
ColumnTransformer fit and predict exactly as the stock models, on real data with category codes,
missing values and codes unseen in training."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from collectors.metrics.structure._native import NativeClassifier, NativeRegressor

MODEL = {"max_iter": 15, "learning_rate": 0.2, "max_leaf_nodes": 15, "early_stopping": False}


def _coded(x: np.ndarray, columns: list[int], rng: np.random.Generator) -> np.ndarray:
    """Some columns as category codes (quintiles of the real values, in a shuffled order, as
    float), a few values missing."""
    out = x.copy()
    for j in columns:
        edges = np.quantile(x[:, j], [0.2, 0.4, 0.6, 0.8])
        out[:, j] = rng.permutation(5)[np.searchsorted(edges, x[:, j])] * 3.0
    out[rng.random(out.shape) < 0.03] = np.nan
    return out


@pytest.mark.parametrize("loader", ["wine", "breast_cancer"])
def test_native_classifier_predicts_as_the_stock_one(loader: str) -> None:
    data = load_wine() if loader == "wine" else load_breast_cancer()
    rng = np.random.default_rng(0)
    x = _coded(data.data, [0, 3, 5], rng)
    mask = np.zeros(x.shape[1], dtype=bool)
    mask[[0, 3, 5]] = True
    train = rng.random(len(x)) < 0.6
    test = x[~train].copy()
    test[:5, 3] = 99.0  # a code never seen in training
    stock = HistGradientBoostingClassifier(random_state=1, categorical_features=mask, **MODEL)
    native = NativeClassifier(random_state=1, categorical_features=mask, **MODEL)
    stock.fit(x[train], data.target[train])
    native.fit(x[train], data.target[train])
    np.testing.assert_array_equal(native.predict_proba(test), stock.predict_proba(test))
    np.testing.assert_array_equal(native.is_categorical_, stock.is_categorical_)


def test_native_regressor_predicts_as_the_stock_one() -> None:
    data = load_wine()
    rng = np.random.default_rng(1)
    x = _coded(data.data[:, 1:], [2, 6], rng)
    mask = np.zeros(x.shape[1], dtype=bool)
    mask[[2, 6]] = True
    y = data.data[:, 0]
    stock = HistGradientBoostingRegressor(random_state=2, categorical_features=mask, **MODEL)
    native = NativeRegressor(random_state=2, categorical_features=mask, **MODEL)
    stock.fit(x[:120], y[:120])
    native.fit(x[:120], y[:120])
    np.testing.assert_array_equal(native.predict(x[120:]), stock.predict(x[120:]))
    assert native.predict(x[120:]).std() > 0  # a model that learned something


def test_too_many_categories_are_refused_like_the_stock_model() -> None:
    x = np.arange(400, dtype=float)[:, None] % 70
    native = NativeRegressor(categorical_features=np.array([True]), max_bins=63, **MODEL)
    with pytest.raises(ValueError, match="cardinality"):
        native.fit(x, np.arange(400.0))
