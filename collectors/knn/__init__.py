"""Exact k-nearest-neighbour search: the blocked BLAS engine, its Numba kernels, the KD-tree backend
and the types they share.
"""

from collectors.knn.engine import CrossCounts, KnnEngine, Radii

__all__ = ["CrossCounts", "KnnEngine", "Radii"]
