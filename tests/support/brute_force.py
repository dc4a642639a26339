"""Independent O(N*M) implementations of the metrics, straight from the papers' formulas."""

from __future__ import annotations

import numpy as np


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Euclidean distances by explicit differences (no dot-product trick)."""
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


def kth_other(points: np.ndarray, k: int) -> np.ndarray:
    """Distance of each point to its k-th nearest other point (self excluded by index)."""
    d = distances(points, points)
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def prdc_strict(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """Naeem et al. 2020 eqs. 1-4 with strict '<'."""
    r = kth_other(real, k)
    s = kth_other(fake, k)
    d = distances(real, fake)
    inside_real = d < r[:, None]
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((d < s[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum() / (k * fake.shape[0])),
        "coverage": float((d.min(axis=1) < r).mean()),
    }


def expected_coverage(n: int, m: int, k: int) -> float:
    """Naeem et al. 2020, Lemma 2: E[coverage] = 1 - prod_{i=1..k} (N - i) / (N + M - i)."""
    i = np.arange(1, k + 1)
    return float(1.0 - np.prod((n - i) / (n + m - i)))
