"""Real data shipped with scikit-learn, split as a generator's world: training rows (members),
holdout (never seen) and rows a healthy generator would draw fresh (disjoint from both)."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer, load_wine

from tests.support.gates import World, split_world


@pytest.fixture(scope="session")
def cancer() -> World:
    """load_breast_cancer: 569 rows, 30 features, binary target."""
    return split_world(load_breast_cancer(as_frame=True).frame, (220, 200))


@pytest.fixture(scope="session")
def wine() -> World:
    """load_wine: 178 rows, 13 features, 3 classes."""
    return split_world(load_wine(as_frame=True).frame, (70, 60))
