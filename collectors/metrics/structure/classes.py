"""Label-conditional coverage and recall: is every class's whole spread generated, or did the
version collapse onto a few modes inside one class?

For each class c of a label column: Naeem et al. 2020's coverage (eq. 4) and recall (eq. 2) of
the real rows of class c by the version's rows of class c, in the caller's feature space (the same
embedding the unconditional figures use), through :func:`collectors.metrics.fidelity.prdc`. A
class whose real rows number at most k is not measured; a version with no row of the class covers
nothing (0.0); with 1..k rows recall is undefined and coverage is computed directly:
1[min_j D_ij < r_i] with the real k-NN radii r_i (strict, as eq. 4). Coverage depends on both
sizes (Naeem et al. 2020, Lemma 2), so compare it with real-vs-real levels at the same sizes.
Pure: arrays in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from collectors.knn import KnnEngine
from collectors.metrics.fidelity import prdc

__all__ = ["ClassCoverage", "class_coverage", "class_figures"]

MAX_CLASSES = 20  # most frequent real classes measured


@dataclass(frozen=True)
class ClassCoverage:
    """One class: its real and version row counts, coverage and recall (NaN when undefined)."""

    label: str
    real_rows: int
    version_rows: int
    coverage: float
    recall: float


def _small_coverage(real: np.ndarray, synthetic: np.ndarray, k: int) -> float:
    centre = real.mean(axis=0)
    radii = KnnEngine().radii(real - centre, k)
    nearest = cdist(real - centre, synthetic - centre).min(axis=1)
    return float(np.mean(nearest < radii.radius))


def class_coverage(
    real: np.ndarray,
    real_labels: np.ndarray,
    synthetic: np.ndarray,
    synthetic_labels: np.ndarray,
    *,
    k: int = 5,
    max_classes: int = MAX_CLASSES,
) -> list[ClassCoverage]:
    """Coverage and recall per class (see the module), the ``max_classes`` most frequent real
    classes, lowest coverage first (ties by label)."""
    real = np.asarray(real, dtype=np.float64)
    synthetic = np.asarray(synthetic, dtype=np.float64)
    real_labels = np.asarray(real_labels, dtype=object).astype(str)
    synthetic_labels = np.asarray(synthetic_labels, dtype=object).astype(str)
    if len(real_labels) != len(real) or len(synthetic_labels) != len(synthetic):
        raise ValueError("class coverage: one label per row is needed on each side")
    values, counts = np.unique(real_labels, return_counts=True)
    order = sorted(zip(values, counts, strict=True), key=lambda item: (-item[1], item[0]))
    out = []
    for label, count in order[:max_classes]:
        if count <= k:
            continue
        real_rows = real[real_labels == label]
        version_rows = synthetic[synthetic_labels == label]
        m = len(version_rows)
        if m == 0:
            coverage, recall = 0.0, float("nan")
        elif m <= k:
            coverage, recall = _small_coverage(real_rows, version_rows, k), float("nan")
        else:
            result = prdc(real_rows, version_rows, k=k)
            coverage, recall = result.coverage, result.recall
        out.append(ClassCoverage(str(label), int(count), m, float(coverage), float(recall)))
    return sorted(out, key=lambda c: (c.coverage, c.label))


def class_figures(classes: list[ClassCoverage]) -> dict[str, float]:
    """``class_coverage_min`` and ``class_recall_min`` over the measured classes."""
    if not classes:
        return {}
    out = {"class_coverage_min": min(c.coverage for c in classes)}
    recalls = [c.recall for c in classes if np.isfinite(c.recall)]
    if recalls:
        out["class_recall_min"] = min(recalls)
    return out
