"""Near-duplicate detectors behind one interface, and the choice of one for a corpus's content.

Text content gets MinHash LSH over character shingles (:class:`TextNearDuplicates`); numeric and
vector content a nearest-neighbour distance (:class:`VectorNearDuplicates`) in columns
standardised on the known-human rows. Without known-human data (fewer than 2 rows) the documented
defaults of :mod:`collectors.corpus.near_defaults` are used (word 5-gram Jaccard >= 0.8, Lee et
al. 2022; a distance threshold from the registry's own spacing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from collectors.corpus.near_defaults import DefaultTextNearDuplicates, DefaultVectorNearDuplicates
from collectors.corpus.near_duplicates import (
    NearDuplicateDetector,
    NearDuplicateResult,
    TextNearDuplicates,
    VectorNearDuplicates,
)
from collectors.corpus.samples import content_texts, content_vectors

__all__ = ["NearDuplicateDetector", "ScaledVectorNearDuplicates", "build_detector"]


class ScaledVectorNearDuplicates:
    """:class:`VectorNearDuplicates` in columns standardised on the known-human rows, so that
    no column dominates the Euclidean distance by its unit alone."""

    def __init__(self, registry: np.ndarray, human: np.ndarray) -> None:
        self.centre = human.mean(axis=0)
        spread = human.std(axis=0)
        self.scale = np.where(spread > 0, spread, 1.0)
        self.detector = VectorNearDuplicates(self._scaled(registry), self._scaled(human))

    def _scaled(self, rows: np.ndarray) -> np.ndarray:
        return (np.asarray(rows, dtype=float) - self.centre) / self.scale

    def measure(self, values: object, *, confidence: float = 0.95) -> NearDuplicateResult:
        return self.detector.measure(self._scaled(np.asarray(values)), confidence=confidence)


def build_detector(
    registry: Mapping[str, Sequence[object]],
    human: Mapping[str, Sequence[object]] | None,
    columns: Sequence[str],
    *,
    seed: int,
) -> NearDuplicateDetector | None:
    """The detector for synthetic ``registry`` rows (column -> values), calibrated on ``human``
    rows when at least 2 are given, else on the documented defaults; None without registry rows.
    """
    columns = tuple(columns)
    if not registry or len(registry[columns[0]]) == 0:
        return None
    known = human if human is not None and len(human[columns[0]]) >= 2 else None
    if all(isinstance(v, str) for c in columns for v in registry[c]):
        texts = content_texts(registry, columns)
        if known is None:
            return DefaultTextNearDuplicates(texts, seed=seed)
        return TextNearDuplicates(texts, content_texts(known, columns), seed=seed)
    vectors = {c for c in columns if isinstance(registry[c][0], (list, tuple, np.ndarray))}
    rows = content_vectors(registry, columns, vectors)
    if known is None:
        return DefaultVectorNearDuplicates(rows)
    return ScaledVectorNearDuplicates(rows, content_vectors(known, columns, vectors))
