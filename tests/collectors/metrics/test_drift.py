"""Tests for collectors.metrics.drift against scipy, pandas and brute force, plus every error
path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from collectors.metrics.drift import (
    FeatureDrift,
    correlation_difference,
    ks_statistics,
    mmd_rbf,
    rank_drift,
    total_variation,
)


def _scipy_ks(real: np.ndarray, synthetic: np.ndarray) -> np.ndarray:
    return np.array(
        [
            ks_2samp(real[:, j], synthetic[:, j], method="asymp").statistic
            for j in range(real.shape[1])
        ]
    )


# ---------------------------------------------------------------------------------------------
# ks_statistics


@pytest.mark.parametrize("seed", range(5))
def test_ks_equals_scipy_on_random_tied_and_shifted_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 300, size=2)
    real = np.column_stack(
        [
            rng.normal(size=n),
            rng.integers(0, 4, size=n),  # heavy ties
            rng.normal(size=n).round(1),  # ties inside and across samples
            np.full(n, 2.0),  # constant
            rng.standard_t(2, size=n),
        ]
    )
    synthetic = np.column_stack(
        [
            rng.normal(0.5, 1.0, size=m),  # shifted
            rng.integers(1, 6, size=m),
            rng.normal(size=m).round(1),
            np.full(m, 2.0),
            rng.standard_t(2, size=m) * 2,
        ]
    )
    np.testing.assert_array_equal(ks_statistics(real, synthetic), _scipy_ks(real, synthetic))


def test_ks_known_values() -> None:
    real = np.arange(10.0).reshape(-1, 1)
    assert ks_statistics(real, real[::-1])[0] == 0.0
    assert ks_statistics(real, real + 100)[0] == 1.0
    assert ks_statistics(real, real + 5)[0] == pytest.approx(0.5)
    assert ks_statistics([1.0], [1.0])[0] == 0.0


def test_ks_with_the_reference_sorted_once_gives_the_same_result() -> None:
    rng = np.random.default_rng(9)
    real = rng.integers(0, 10, size=(200, 7)).astype(float)  # many ties
    synthetic = rng.integers(0, 12, size=(150, 7)).astype(float)
    prepared = ks_statistics(real, synthetic, real_sorted=np.sort(real, axis=0))
    np.testing.assert_array_equal(prepared, ks_statistics(real, synthetic))
    np.testing.assert_array_equal(prepared, _scipy_ks(real, synthetic))


@pytest.mark.parametrize(
    "function", [ks_statistics, correlation_difference, mmd_rbf], ids=lambda f: f.__name__
)
def test_numeric_functions_reject_bad_input(function) -> None:
    real = np.zeros((6, 2))
    real[[1, 4], 1] = np.nan
    with pytest.raises(ValueError, match=r"real: 2 of 6 rows hold NaN or inf \(columns 1; first"):
        function(real, np.zeros((3, 2)))
    synthetic = np.ones((3, 2))
    synthetic[0, 0] = -np.inf
    with pytest.raises(ValueError, match=r"synthetic: 1 of 3 rows .*columns 0; first rows 0\)"):
        function(np.zeros((6, 2)), synthetic)
    with pytest.raises(ValueError, match=r"real: is empty \(0 rows\)"):
        function(np.zeros((0, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"synthetic: is empty \(0 rows\)"):
        function(np.zeros((3, 2)), [])
    with pytest.raises(
        ValueError, match=r"dimension mismatch: real has 2 features, synthetic has 3"
    ):
        function(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"expected a 2-D array"):
        function(np.zeros((3, 2, 1)), np.zeros((3, 2)))


# ---------------------------------------------------------------------------------------------
# total_variation


def _brute_tv(real: list, synthetic: list) -> float:
    p, q = {}, {}
    for label in real:
        p[label] = p.get(label, 0) + 1 / len(real)
    for label in synthetic:
        q[label] = q.get(label, 0) + 1 / len(synthetic)
    return 0.5 * sum(abs(p.get(c, 0.0) - q.get(c, 0.0)) for c in set(p) | set(q))


@pytest.mark.parametrize("seed", range(3))
def test_total_variation_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    real = list(rng.choice(list("abcdefg"), size=500, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05]))
    synthetic = list(rng.choice(list("abcdexy"), size=321))
    assert total_variation(real, synthetic) == pytest.approx(_brute_tv(real, synthetic), abs=1e-12)
    assert total_variation(np.array(real), pd.Series(synthetic)) == pytest.approx(
        _brute_tv(real, synthetic), abs=1e-12
    )


def test_total_variation_known_values() -> None:
    assert total_variation(["a", "b"], ["b", "a", "a", "b"]) == 0.0
    assert total_variation(["a", "b"], ["c"]) == 1.0
    assert total_variation(["a", "a", "b", "b"], ["a"]) == pytest.approx(0.5)
    assert total_variation([1, 2, 2], [2, 1, 1]) == total_variation([2, 1, 1], [1, 2, 2])
    assert total_variation(["1", 1], [1, 1]) == pytest.approx(0.5)  # "1" and 1 are distinct


@pytest.mark.parametrize(
    ("real", "synthetic", "message"),
    [
        (["a", None], ["a"], r"city: real_labels: 1 of 2 labels are missing \(None/NaN\)"),
        (["a"], [math.nan, math.nan, "b"], r"city: synthetic_labels: 2 of 3 labels are missing"),
        ([], ["a"], r"city: real_labels: is empty"),
        (["a"], [], r"city: synthetic_labels: is empty"),
        (np.array([["a"], ["b"]]), ["a"], r"city: real_labels: expected a 1-D array"),
    ],
)
def test_total_variation_rejects_bad_labels(real, synthetic, message) -> None:
    with pytest.raises(ValueError, match=message):
        total_variation(real, synthetic, feature="city")


def test_total_variation_error_without_feature_name() -> None:
    with pytest.raises(ValueError, match=r"^real_labels: 1 of 1 labels are missing"):
        total_variation([None], ["a"])


# ---------------------------------------------------------------------------------------------
# correlation_difference


def _pandas_difference(real: np.ndarray, synthetic: np.ndarray) -> float:
    a = pd.DataFrame(real).corr().fillna(0.0).to_numpy()
    b = pd.DataFrame(synthetic).corr().fillna(0.0).to_numpy()
    upper = np.triu_indices(real.shape[1], k=1)
    return float(np.abs(a - b)[upper].mean())


def test_correlation_difference_matches_pandas() -> None:
    rng = np.random.default_rng(2)
    cov = [[1.0, 0.8, -0.3, 0.0], [0.8, 1.0, 0.0, 0.2], [-0.3, 0.0, 1.0, 0.5], [0, 0.2, 0.5, 1.0]]
    real = rng.multivariate_normal(np.zeros(4), cov, size=500) * [1, 10, 0.01, 1e3]
    synthetic = rng.normal(size=(300, 4)) + 7.0
    assert correlation_difference(real, synthetic) == pytest.approx(
        _pandas_difference(real, synthetic), abs=1e-12
    )
    assert correlation_difference(real, synthetic) > 0.2


def test_correlation_difference_treats_constant_columns_as_uncorrelated() -> None:
    rng = np.random.default_rng(4)
    real = rng.normal(size=(200, 3))
    real[:, 1] = real[:, 0] * 2 + 1  # correlation 1 with column 0
    synthetic = real.copy()
    synthetic[:, 1] = 0.1  # constant in the synthetic sample only (0.1 * n is not exact)
    expected = _pandas_difference(real, synthetic)
    assert correlation_difference(real, synthetic) == pytest.approx(expected, abs=1e-12)
    assert expected > 0.3  # the lost correlation of 1 counts fully
    both_constant = np.column_stack([rng.normal(size=50), np.full(50, 3.0)])
    assert correlation_difference(both_constant, both_constant[::-1]) == 0.0


def test_correlation_difference_identical_and_single_column() -> None:
    rng = np.random.default_rng(6)
    data = rng.normal(size=(100, 5))
    assert correlation_difference(data, data[::-1]) == pytest.approx(0.0, abs=1e-14)
    assert correlation_difference(data[:, :1], data[:50, :1] * 3) == 0.0
    anti = np.column_stack([data[:, 0], data[:, 0]])
    flipped = np.column_stack([data[:, 0], -data[:, 0]])
    assert correlation_difference(anti, flipped) == pytest.approx(2.0)


# ---------------------------------------------------------------------------------------------
# mmd_rbf


def _brute_mmd(x: np.ndarray, y: np.ndarray) -> float:
    pooled = np.vstack([x, y])
    distances = [
        math.dist(pooled[i], pooled[j])
        for i in range(len(pooled))
        for j in range(i + 1, len(pooled))
    ]
    positive = [d for d in distances if d > 0]
    sigma = float(np.median(positive)) if positive else 1.0

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return math.exp(-(math.dist(a, b) ** 2) / (2 * sigma**2))

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


@pytest.mark.parametrize("seed", range(3))
def test_mmd_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(int(rng.integers(2, 25)), 3))
    y = rng.normal(0.3, 1.2, size=(int(rng.integers(2, 25)), 3))
    x[1] = x[0]  # duplicates: zero distances are left out of the median
    y[-1] = x[0]
    assert mmd_rbf(x, y) == pytest.approx(_brute_mmd(x, y), rel=1e-9, abs=1e-12)


def test_mmd_subsamples_without_replacement_with_the_seeded_generator() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(40, 2))
    y = rng.normal(size=(30, 2)) + 0.5
    draw = np.random.default_rng(123)
    sub_x = x[draw.choice(40, size=12, replace=False)]
    sub_y = y[draw.choice(30, size=12, replace=False)]
    result = mmd_rbf(x, y, max_samples=12, seed=123)
    assert result == pytest.approx(_brute_mmd(sub_x, sub_y), rel=1e-9, abs=1e-12)
    assert mmd_rbf(x, y, max_samples=12, seed=123) == result
    assert mmd_rbf(x, y, max_samples=12, seed=124) != result
    assert mmd_rbf(x, y, max_samples=40) == pytest.approx(_brute_mmd(x, y), rel=1e-9)


def test_mmd_same_distribution_near_zero_and_shift_clearly_positive() -> None:
    rng = np.random.default_rng(10)
    real = rng.normal(size=(600, 4))
    same = rng.normal(size=(500, 4))
    shifted = rng.normal(size=(500, 4)) + np.array([1.0, 0.0, 0.0, 0.0])
    null = mmd_rbf(real, same)
    alternative = mmd_rbf(real, shifted)
    assert abs(null) < 0.01
    assert alternative > 0.05
    assert alternative > 10 * abs(null)
    assert mmd_rbf(real, rng.normal(size=(500, 4)) * 0.3) > 0.1  # variance collapse


def test_mmd_of_identical_constant_points_is_zero() -> None:
    assert mmd_rbf(np.ones((5, 2)), np.ones((4, 2))) == 0.0


@pytest.mark.parametrize(
    ("real", "synthetic", "kwargs", "message"),
    [
        (
            np.zeros((1, 2)),
            np.ones((5, 2)),
            {},
            r"real: has 1 row; the unbiased MMD needs",
        ),
        (np.zeros((5, 2)), np.ones((1, 2)), {}, r"synthetic: has 1 row"),
        (np.zeros((5, 2)), np.ones((5, 2)), {"max_samples": 1}, r"max_samples must be at least 2"),
        (np.zeros((5, 2)), np.ones((5, 2)), {"max_samples": 2.5}, r"must be an integer, got 2.5"),
        (np.zeros((5, 2)), np.ones((5, 2)), {"max_samples": True}, r"must be an integer, got True"),
    ],
)
def test_mmd_rejects_bad_arguments(real, synthetic, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        mmd_rbf(real, synthetic, **kwargs)


# ---------------------------------------------------------------------------------------------
# rank_drift


def test_rank_drift_sorts_numeric_and_categorical_by_statistic() -> None:
    rng = np.random.default_rng(12)
    real = rng.normal(size=(300, 3))
    synthetic = rng.normal(size=(200, 3)) + np.array([0.0, 2.0, 0.5])
    labels = ["a"] * 50 + ["b"] * 50
    ranked = rank_drift(
        real,
        synthetic,
        features=["x", "y", "z"],
        categorical={"same": (labels, labels[::-1]), "gone": (labels, ["c"] * 10)},
    )
    ks = dict(zip(["x", "y", "z"], _scipy_ks(real, synthetic), strict=True))
    expected = sorted(
        [FeatureDrift(name, float(value), "numeric") for name, value in ks.items()]
        + [FeatureDrift("same", 0.0, "categorical"), FeatureDrift("gone", 1.0, "categorical")],
        key=lambda d: d.statistic,
        reverse=True,
    )
    assert ranked == expected
    assert [d.feature for d in ranked][:2] == ["gone", "y"]
    statistics = [d.statistic for d in ranked]
    assert statistics == sorted(statistics, reverse=True)


def test_rank_drift_defaults_and_ties() -> None:
    data = np.arange(12.0).reshape(6, 2)
    ranked = rank_drift(data, data)
    assert ranked == [FeatureDrift("0", 0.0, "numeric"), FeatureDrift("1", 0.0, "numeric")]
    only_categorical = rank_drift(categorical={"b": (["x"], ["x"]), "a": (["x"], ["y"])})
    assert [d.feature for d in only_categorical] == ["a", "b"]
    assert rank_drift() == []


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((np.zeros((3, 2)), None), {}, r"real and synthetic must be given together"),
        ((None, np.zeros((3, 2))), {}, r"real and synthetic must be given together"),
        ((), {"features": ["a"]}, r"no numeric data was given"),
        ((np.zeros((3, 2)), np.zeros((3, 2))), {"features": ["a"]}, r"1 names given for 2"),
        (
            (np.zeros((3, 1)), np.zeros((3, 1))),
            {"features": ["a"], "categorical": {"a": (["x"], ["x"])}},
            r"feature 'a' is both numeric and categorical",
        ),
        ((), {"categorical": {"k": (["x"], [None])}}, r"k: synthetic_labels: 1 of 1"),
        (
            (np.array([[0.0, np.nan]]), np.zeros((3, 2))),
            {"features": ["a", "b"]},
            r"real: 1 of 1 rows hold NaN or inf \(columns 'b'",
        ),
    ],
)
def test_rank_drift_rejects_bad_input(args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        rank_drift(*args, **kwargs)
