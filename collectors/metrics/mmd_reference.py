"""The reference side of :func:`collectors.metrics.drift.mmd_rbf`, prepared once per reference.

Every sample measured against one reference (a version, each healthy-level draw) recomputes the
same reference subsample, its squared-distance block and that block's share of the median
heuristic. :class:`MmdReference` keeps them, so each sample pays only for its own block and the
cross block; the result is exactly :func:`mmd_rbf`'s (the same blocks, the same sums, the median
selected from the same pairs; tested bit-for-bit).
"""

from __future__ import annotations

import numpy as np

from collectors.metrics.drift import _subsample, mmd_from_blocks, squared_distances
from collectors.sources import check_pair

__all__ = ["MmdReference"]


class MmdReference:
    """:func:`mmd_rbf` (Gretton et al. 2012, eq. 3; RBF kernel, median heuristic) with ``real``
    fixed: ``prepared(synthetic) == mmd_rbf(real, synthetic, max_samples=..., seed=...)``.

    Keeps the reference subsample (the first draw of ``np.random.default_rng(seed)``), the
    generator's state after it (the synthetic subsample is the second draw), the reference's
    squared-distance block (its upper triangle, about 8 * max_samples^2 bytes) and that triangle
    sorted (half that).
    """

    def __init__(self, real: object, *, max_samples: int = 2000, seed: int = 0) -> None:
        if isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer)):
            raise ValueError(f"max_samples must be an integer, got {max_samples!r}")
        if max_samples < 2:
            raise ValueError(f"max_samples must be at least 2, got {max_samples}")
        self.real, _ = check_pair(real, real)
        if self.real.shape[0] < 2:
            raise ValueError(
                f"real: has {self.real.shape[0]} row; the unbiased MMD needs at least 2"
            )
        self.max_samples = int(max_samples)
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.x = _subsample(self.real, self.max_samples, rng)
        self._state = rng.bit_generator.state
        self.xx = squared_distances(self.x, self.x, same=True, upper=True)
        self.xx_sorted = np.sort(self.xx[np.triu(np.ones(self.xx.shape, dtype=bool), k=1)])

    def __call__(self, synthetic: object) -> float:
        """Unbiased squared MMD of ``synthetic`` against the prepared reference."""
        _, synthetic_array = check_pair(self.real, synthetic)
        if synthetic_array.shape[0] < 2:
            raise ValueError(
                f"synthetic: has {synthetic_array.shape[0]} row; the unbiased MMD needs at least 2"
            )
        rng = np.random.default_rng(self.seed)
        rng.bit_generator.state = self._state
        y = _subsample(synthetic_array, self.max_samples, rng)
        yy = squared_distances(y, y, same=True, upper=True)
        xy = squared_distances(self.x, y)
        return mmd_from_blocks(self.xx, yy, xy, self.xx_sorted)
