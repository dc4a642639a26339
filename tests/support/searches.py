"""The k-NN engine's searches of one set of rows against another, counted as they run."""

from __future__ import annotations

import numpy as np
import pytest

from collectors.knn import KnnEngine
from collectors.knn.types import Neighbours


def counted_searches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(query rows, point rows) of every :meth:`KnnEngine.nearest` and
    :meth:`KnnEngine.mutual_nearest` (one pass, both directions) from now on: the real searches,
    each appended to the returned list."""
    calls: list[tuple[int, int]] = []
    nearest, mutual = KnnEngine.nearest, KnnEngine.mutual_nearest

    def counted(self: KnnEngine, queries: np.ndarray, points: np.ndarray, m: int = 1) -> Neighbours:
        calls.append((queries.shape[0], points.shape[0]))
        return nearest(self, queries, points, m)

    def both(
        self: KnnEngine, a: np.ndarray, b: np.ndarray, m_a: int, m_b: int
    ) -> tuple[Neighbours, Neighbours]:
        calls.append((a.shape[0], b.shape[0]))
        return mutual(self, a, b, m_a, m_b)

    monkeypatch.setattr(KnnEngine, "nearest", counted)
    monkeypatch.setattr(KnnEngine, "mutual_nearest", both)
    return calls
