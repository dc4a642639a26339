"""Real data shipped with scikit-learn, split as a generator's world: training rows (members),
holdout (never seen) and rows a healthy generator would draw fresh (disjoint from both)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_wine


@dataclass(frozen=True)
class World:
    training: pd.DataFrame  # the generator's training rows (members)
    holdout: pd.DataFrame  # real rows it never saw (test rows, non-members)
    fresh: pd.DataFrame  # more unseen real rows: what a generator that never saw members emits


def _split(frame: pd.DataFrame, sizes: tuple[int, int], seed: int = 0) -> World:
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a, b = sizes
    return World(
        shuffled.iloc[:a].reset_index(drop=True),
        shuffled.iloc[a : a + b].reset_index(drop=True),
        shuffled.iloc[a + b :].reset_index(drop=True),
    )


@pytest.fixture(scope="session")
def cancer() -> World:
    """load_breast_cancer: 569 rows, 30 features, binary target."""
    return _split(load_breast_cancer(as_frame=True).frame, (220, 200))


@pytest.fixture(scope="session")
def wine() -> World:
    """load_wine: 178 rows, 13 features, 3 classes."""
    return _split(load_wine(as_frame=True).frame, (70, 60))


def jitter(frame: pd.DataFrame, scale: float, seed: int, keep: tuple[str, ...] = ("target",)):
    """Copies of ``frame`` with Gaussian noise of ``scale`` column SDs on every other column."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        out[column] = out[column] + rng.normal(scale=scale * out[column].std(), size=len(out))
    return out
