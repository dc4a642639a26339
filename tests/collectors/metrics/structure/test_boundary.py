"""collectors.metrics.structure.boundary against brute force and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from collectors.metrics.structure.boundary import (
    boundary_coverage,
    probe_margin,
    uncertain_rows,
)
from collectors.metrics.structure.measure import StructureReference


def _two_classes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 2)) + np.where(y == 1, 1.5, -1.5)[:, None] * np.array([1.0, 0.0])
    return x, y


def test_boundary_coverage_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    real, synthetic = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) * 1.3
    uncertain = rng.random(300) < 0.3
    radius = np.sort(cdist(real, real), axis=1)[:, 5]
    covered = cdist(real, synthetic).min(axis=1) < radius
    assert boundary_coverage(real, synthetic, uncertain) == pytest.approx(covered[uncertain].mean())


def test_margins_are_smallest_near_the_boundary() -> None:
    x, y = _two_classes(1000, 1)
    margin = probe_margin(x, y, np.array([False, False]))
    uncertain = uncertain_rows(margin, 0.2)
    assert uncertain.sum() == 200
    assert np.abs(x[uncertain, 0]).mean() < 0.6 * np.abs(x[~uncertain, 0]).mean()


def test_a_version_without_the_boundary_region_loses_boundary_coverage_only() -> None:
    x, y = _two_classes(1500, 2)
    frame = pd.DataFrame({"u": x[:, 0], "v": x[:, 1], "label": np.where(y == 1, "p", "n")})
    reference = StructureReference(
        frame.iloc[:800], frame.iloc[800:1500], target="label", detection=False, max_targets=0
    )
    xv, yv = _two_classes(3000, 3)
    version = pd.DataFrame({"u": xv[:, 0], "v": xv[:, 1], "label": np.where(yv == 1, "p", "n")})
    fresh = reference.measure(version.iloc[:800]).figures
    gapped = version[np.abs(version["u"]) > 0.8].iloc[:800]
    broken = reference.measure(gapped).figures
    assert fresh["boundary_coverage"] > 0.85
    assert broken["boundary_coverage"] < fresh["boundary_coverage"] - 0.3
    assert broken["class_coverage_min"] > broken["boundary_coverage"] + 0.2


def test_quantile_is_checked() -> None:
    with pytest.raises(ValueError, match="quantile"):
        uncertain_rows(np.ones(5), 0.0)
