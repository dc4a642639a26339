"""The prepared reference side of the MMD (issue 26) gives exactly mmd_rbf's figure, and the
generator's versions and healthy-level draws that share it equal a from-scratch computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from collectors.generator import GeneratorReference
from collectors.healthy import measure_healthy
from collectors.knn import KnnEngine
from collectors.metrics.alphabeta import alpha_beta_authenticity
from collectors.metrics.drift import mmd_rbf, reference_correlation
from collectors.metrics.missing import observed_numeric
from collectors.metrics.mmd_reference import MmdReference
from collectors.metrics.reference import ReferenceModel


def _digits(rows: int, seed: int) -> np.ndarray:
    data = load_digits().data.astype(np.float64)
    rng = np.random.default_rng(seed)
    return data[rng.integers(0, len(data), size=rows)] + rng.normal(scale=0.5, size=(rows, 64))


@pytest.mark.parametrize(
    ("real_rows", "sample_rows", "max_samples"),
    [(300, 200, 2000), (500, 400, 150), (90, 700, 120), (40, 30, 2000)],
)
def test_prepared_reference_equals_mmd_rbf_exactly(
    real_rows: int, sample_rows: int, max_samples: int
) -> None:
    real = _digits(real_rows, 1)
    prepared = MmdReference(real, max_samples=max_samples, seed=7)
    for seed in (2, 3):  # one prepared reference, several samples
        sample = _digits(sample_rows, seed) + (seed - 2) * 0.8  # a healthy one and a shifted one
        assert prepared(sample) == mmd_rbf(real, sample, max_samples=max_samples, seed=7)


def test_prepared_reference_with_duplicates_and_constant_data() -> None:
    rng = np.random.default_rng(4)
    real = np.repeat(rng.normal(size=(60, 3)), 3, axis=0)  # every row three times: zero pairs
    sample = np.repeat(rng.normal(size=(50, 3)), 2, axis=0)
    assert MmdReference(real, seed=1)(sample) == mmd_rbf(real, sample, seed=1)
    flat = np.zeros((20, 3))  # every distance 0: sigma 1.0, MMD 0
    assert MmdReference(flat)(flat[:10]) == mmd_rbf(flat, flat[:10]) == 0.0


def test_prepared_reference_rejects_what_mmd_rbf_rejects() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        MmdReference(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="max_samples"):
        MmdReference(np.zeros((5, 3)), max_samples=1)
    prepared = MmdReference(np.random.default_rng(0).normal(size=(10, 3)))
    with pytest.raises(ValueError, match="dimension mismatch"):
        prepared(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="synthetic: has 1 row"):
        prepared(np.zeros((1, 3)))


def test_versions_and_healthy_levels_equal_a_fresh_computation() -> None:
    """Sharing the reference's side (MMD block, sorted columns, correlation matrix) changes no
    figure: every healthy draw and the version equal the figures measured from scratch (the MMD
    by mmd_rbf, drift and tails without the prepared arrays), bit for bit."""
    columns = [f"p{i}" for i in range(64)]
    real = pd.DataFrame(_digits(300, 1), columns=columns)
    holdout = pd.DataFrame(_digits(150, 2), columns=columns)
    version = pd.DataFrame(_digits(200, 3), columns=columns)
    shared = GeneratorReference(real, holdout=holdout, seed=3, sample_size=200)
    unshared = GeneratorReference(real, holdout=holdout, seed=3, sample_size=200)
    unshared.real_sorted = unshared.real_correlation = None  # drift and tails from scratch
    fresh_real = unshared.model.real

    def fresh(sample: pd.DataFrame, source: str) -> dict[str, float]:
        figures = dict(unshared.measure(sample, source=source, details=False).figures)
        matrix = shared.feature_map.transform(sample, source=source) - shared.model.centre
        figures["mmd"] = mmd_rbf(fresh_real, matrix, seed=3)
        return figures

    def fresh_draw(rng: np.random.Generator, m: int, replacement: bool) -> dict[str, float]:
        rows = rng.choice(len(holdout), size=m, replace=replacement)
        return fresh(holdout.iloc[np.sort(rows)].reset_index(drop=True), "holdout")

    for rows in (200, 100):  # a bootstrap (m > h) and draws without replacement
        levels = shared.healthy_at(rows)
        expected = measure_healthy(fresh_draw, len(holdout), rows, 3, shared.healthy_draws)
        assert levels is not None and "mmd" in levels
        assert dict(levels) == dict(expected)
        assert levels.spread == expected.spread and levels.meta == expected.meta
    measured = shared.measure(version)
    assert measured.figures == fresh(version, "sample")
    assert measured.per_feature == unshared.measure(version).per_feature


@pytest.mark.parametrize("missing", [False, True])
def test_observed_numeric_with_the_reference_side_prepared(missing: bool) -> None:
    rng = np.random.default_rng(5)
    real, sample = rng.normal(size=(400, 6)), rng.normal(size=(300, 6)) * 1.2
    if missing:
        real[rng.random(real.shape) < 0.05] = np.nan
        sample[rng.random(sample.shape) < 0.05] = np.nan
    names = [f"c{j}" for j in range(6)]
    complete = real[np.isfinite(real).all(axis=1)]
    prepared = observed_numeric(
        real,
        sample,
        names,
        real_sorted=np.sort(real, axis=0),
        real_correlation=reference_correlation(complete),
    )
    ks, tails, correlation = observed_numeric(real, sample, names)
    np.testing.assert_array_equal(prepared[0], ks)
    assert repr(prepared[1]) == repr(tails)  # exact floats, NaN ratios included
    assert correlation is not None and prepared[2] == correlation


def test_reference_model_alpha_radii_prepared_equal_the_direct_computation() -> None:
    """ReferenceModel prepares the alpha radii once; its alpha figures equal
    alpha_beta_authenticity's (which computes them per call) exactly."""
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(500, 8)), rng.normal(size=(300, 8)) * 0.9
    model = ReferenceModel(real, k=5, engine=KnnEngine(backend="blas"))
    shared = model.evaluate(fake).alpha_beta.as_dict()
    direct = alpha_beta_authenticity(real, fake, engine=KnnEngine(backend="blas")).as_dict()
    assert shared == direct
