"""collectors.metrics.structure._balls: the real side kept between versions gives prdc's figures,
bit for bit, on real data with ties (one-hot columns, repeated values) and without."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.datasets import load_breast_cancer, load_wine

from collectors.metrics.fidelity import prdc
from collectors.metrics.structure._balls import RealBalls
from collectors.metrics.structure.boundary import boundary_coverage
from collectors.metrics.structure.classes import ClassCoverageReference, class_coverage


def _standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _wine_with_ties() -> tuple[np.ndarray, np.ndarray]:
    """Wine standardised, its class one-hot beside it (ties at the one-hot distances)."""
    data = load_wine()
    onehot = (data.target[:, None] == np.arange(3)[None, :]).astype(float)
    return np.hstack([_standardised(data.data), onehot]), data.target.astype(str)


def _versions(x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Draws of real rows (some repeated: ties and zero radii), a shrunk and a spread copy
    (the version's scale below and above the real's: both tie tolerances)."""
    rows = rng.choice(len(x), size=len(x) // 2, replace=True)
    return [x[rows], x[rows] * 0.5, x[rows] * 1.7 + 0.1, x[rng.permutation(len(x))[:40]]]


@pytest.mark.parametrize("loader", ["wine", "breast_cancer"])
def test_counts_equal_prdc_bit_for_bit(loader: str) -> None:
    if loader == "wine":
        x, _ = _wine_with_ties()
    else:
        x = _standardised(load_breast_cancer().data)
    rng = np.random.default_rng(3)
    real = x[rng.permutation(len(x))[: len(x) // 2]]
    balls = RealBalls(real, 5)
    for _ in range(2):  # the second pass reads the kept radii
        for version in _versions(x, rng):
            expected = prdc(real, version, k=5)
            counted = balls.counts(version)
            assert counted.coverage == expected.coverage
            assert counted.recall == expected.recall
            np.testing.assert_array_equal(counted.real_covered, expected.real_covered)


def test_class_coverage_reference_equals_the_one_shot_function_over_versions() -> None:
    x, labels = _wine_with_ties()
    rng = np.random.default_rng(5)
    kept = ClassCoverageReference(x, labels, k=5)
    for version in _versions(x, rng):
        version_labels = labels[rng.integers(0, len(labels), size=len(version))]
        assert kept.measure(version, version_labels) == class_coverage(
            x, labels, version, version_labels, k=5
        )


def test_a_class_with_at_most_k_version_rows_is_covered_by_nearest_distances() -> None:
    x, labels = _wine_with_ties()
    rng = np.random.default_rng(7)
    version = x[rng.choice(np.flatnonzero(labels == "1"), size=3, replace=False)] + 0.05
    kept = ClassCoverageReference(x, labels, k=5)
    (entry,) = [c for c in kept.measure(version, np.array(["1"] * 3)) if c.label == "1"]
    real = x[labels == "1"]
    radius = np.sort(cdist(real, real), axis=1)[:, 5]
    assert entry.coverage == pytest.approx(np.mean(cdist(real, version).min(axis=1) < radius))


def test_boundary_coverage_with_kept_balls_equals_prdc() -> None:
    x = _standardised(load_breast_cancer().data)
    rng = np.random.default_rng(11)
    uncertain = rng.random(len(x)) < 0.2
    balls = RealBalls(x, 5)
    for version in _versions(x, rng):
        assert boundary_coverage(x, version, uncertain, balls=balls) == boundary_coverage(
            x, version, uncertain
        )
