"""Label-conditional coverage and recall: is every class's whole spread generated, or did the
version collapse onto a few modes inside one class?

For each class c of a label column: Naeem et al. 2020's coverage (eq. 4) and recall (eq. 2) of
the real rows of class c by the version's rows of class c, in the caller's feature space (the same
embedding the unconditional figures use), through :func:`collectors.metrics.fidelity.prdc`. A
class whose real rows number at most k is not measured; a version with no row of the class covers
nothing (0.0); with 1..k rows recall is undefined and coverage is computed directly:
1[min_j D_ij < r_i] with the real k-NN radii r_i (strict, as eq. 4). Coverage depends on both
sizes (Naeem et al. 2020, Lemma 2), so compare it with real-vs-real levels at the same sizes.
:class:`ClassCoverageReference` keeps each class's real rows and k-NN radii for every version
measured against the same real rows (:class:`~collectors.metrics.structure._balls.RealBalls`:
the figures of :func:`class_coverage`, bit for bit, without recomputing the real side).
Pure: arrays in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectors.metrics.structure._balls import RealBalls

__all__ = ["ClassCoverage", "ClassCoverageReference", "class_coverage", "class_figures"]

MAX_CLASSES = 20  # most frequent real classes measured


@dataclass(frozen=True)
class ClassCoverage:
    """One class: its real and version row counts, coverage and recall (NaN when undefined)."""

    label: str
    real_rows: int
    version_rows: int
    coverage: float
    recall: float


class ClassCoverageReference:
    """The real side of :func:`class_coverage`, prepared once: the ``max_classes`` most frequent
    real classes with more than ``k`` rows, each with its real k-NN balls."""

    def __init__(
        self,
        real: np.ndarray,
        real_labels: np.ndarray,
        *,
        k: int = 5,
        max_classes: int = MAX_CLASSES,
    ) -> None:
        real = np.asarray(real, dtype=np.float64)
        real_labels = np.asarray(real_labels, dtype=object).astype(str)
        if len(real_labels) != len(real):
            raise ValueError("class coverage: one label per row is needed on each side")
        self.k = k
        values, counts = np.unique(real_labels, return_counts=True)
        order = sorted(zip(values, counts, strict=True), key=lambda item: (-item[1], item[0]))
        self.classes: list[tuple[str, int, RealBalls]] = [
            (str(label), int(count), RealBalls(real[real_labels == label], k))
            for label, count in order[:max_classes]
            if count > k
        ]

    def measure(self, synthetic: np.ndarray, synthetic_labels: np.ndarray) -> list[ClassCoverage]:
        """Coverage and recall per class (see the module), lowest coverage first (ties by
        label)."""
        synthetic = np.asarray(synthetic, dtype=np.float64)
        synthetic_labels = np.asarray(synthetic_labels, dtype=object).astype(str)
        if len(synthetic_labels) != len(synthetic):
            raise ValueError("class coverage: one label per row is needed on each side")
        out = []
        for label, count, balls in self.classes:
            version_rows = synthetic[synthetic_labels == label]
            m = len(version_rows)
            if m == 0:
                coverage, recall = 0.0, float("nan")
            elif m <= self.k:
                coverage, recall = balls.nearest_coverage(version_rows), float("nan")
            else:
                counted = balls.counts(version_rows)
                coverage, recall = counted.coverage, counted.recall
            out.append(ClassCoverage(label, count, m, float(coverage), float(recall)))
        return sorted(out, key=lambda c: (c.coverage, c.label))


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
    classes, lowest coverage first (ties by label). A caller measuring many versions against
    the same real rows keeps a :class:`ClassCoverageReference` instead."""
    reference = ClassCoverageReference(real, real_labels, k=k, max_classes=max_classes)
    return reference.measure(synthetic, synthetic_labels)


def class_figures(classes: list[ClassCoverage]) -> dict[str, float]:
    """``class_coverage_min`` and ``class_recall_min`` over the measured classes."""
    if not classes:
        return {}
    out = {"class_coverage_min": min(c.coverage for c in classes)}
    recalls = [c.recall for c in classes if np.isfinite(c.recall)]
    if recalls:
        out["class_recall_min"] = min(recalls)
    return out
