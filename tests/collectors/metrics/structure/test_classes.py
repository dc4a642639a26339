"""collectors.metrics.structure.classes against brute-force coverage and recall."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from collectors.metrics.structure.classes import class_coverage, class_figures


def _brute(real: np.ndarray, synthetic: np.ndarray, k: int) -> tuple[float, float]:
    """Naeem et al. 2020 eqs. 2 and 4 from full distance matrices (k-th other point's distance)."""
    r = np.sort(cdist(real, real), axis=1)[:, k]
    s = np.sort(cdist(synthetic, synthetic), axis=1)[:, k]
    d = cdist(real, synthetic)
    coverage = np.mean(d.min(axis=1) < r)
    recall = np.mean((d < s[None, :]).any(axis=1))
    return float(coverage), float(recall)


def _data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    real_labels = rng.choice(["a", "b", "c"], p=[0.6, 0.3, 0.1], size=400)
    real = rng.normal(size=(400, 3)) + (real_labels == "b")[:, None] * 2.0
    synthetic_labels = rng.choice(["a", "b", "c"], p=[0.6, 0.37, 0.03], size=300)
    synthetic = rng.normal(size=(300, 3)) + (synthetic_labels == "b")[:, None] * 2.0
    return real, real_labels, synthetic, synthetic_labels


@pytest.mark.parametrize("seed", range(3))
def test_per_class_figures_equal_brute_force(seed: int) -> None:
    real, real_labels, synthetic, synthetic_labels = _data(seed)
    for entry in class_coverage(real, real_labels, synthetic, synthetic_labels, k=5):
        r = real[real_labels == entry.label]
        s = synthetic[synthetic_labels == entry.label]
        assert (entry.real_rows, entry.version_rows) == (len(r), len(s))
        if len(s) > 5:
            assert (entry.coverage, entry.recall) == pytest.approx(_brute(r, s, 5))
        else:
            nearest = cdist(r, s).min(axis=1)
            radius = np.sort(cdist(r, r), axis=1)[:, 5]
            assert entry.coverage == pytest.approx(np.mean(nearest < radius))


def test_a_class_collapsed_onto_one_mode_comes_first() -> None:
    rng = np.random.default_rng(0)
    real_labels = np.repeat(["a", "b"], 300)
    real = rng.normal(size=(600, 2)) + (real_labels == "b")[:, None] * 4
    order = rng.permutation(600)[:400]
    synthetic = real[order] + rng.normal(scale=0.05, size=(400, 2))
    synthetic_labels = real_labels[order]
    collapsed = synthetic_labels == "b"
    synthetic[collapsed] = np.array([4.0, 4.0]) + rng.normal(scale=0.1, size=(collapsed.sum(), 2))
    result = class_coverage(real, real_labels, synthetic, synthetic_labels)
    assert result[0].label == "b" and result[0].coverage < 0.2
    assert result[1].coverage > 0.8
    assert class_figures(result)["class_coverage_min"] == result[0].coverage


def test_a_class_the_version_lost_has_zero_coverage_and_tiny_classes_are_skipped() -> None:
    real, real_labels, synthetic, synthetic_labels = _data(0)
    kept = synthetic_labels != "c"
    real_labels = real_labels.copy()
    real_labels[:3] = "tiny"
    result = class_coverage(real, real_labels, synthetic[kept], synthetic_labels[kept])
    assert result[0].label == "c" and result[0].coverage == 0.0
    assert "tiny" not in {c.label for c in result}
