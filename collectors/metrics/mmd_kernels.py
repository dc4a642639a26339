"""Numba kernel of :func:`collectors.metrics.drift.squared_distances`: one pass per block.

After the BLAS product ``P = x[block] @ y.T`` each entry becomes ``(P * -2 + ||x_i||^2) +
||y_j||^2`` and is flagged for the exact recomputation when it is within the cancellation limit
``_EXACT_BELOW * (||x_i||^2 + max ||y||^2)``. NumPy did this in five passes over the block (three
in-place updates, the comparison, ``np.nonzero``); the kernel does it in one, with the same
floating-point operations in the same order (no fused multiply-add: Numba compiles without
fast-math), so the same values bit for bit (tests/collectors/metrics/test_mmd_kernels.py).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["expand_block"]


@nb.njit(cache=True, nogil=True)
def expand_block(
    block: np.ndarray,
    x_norms: np.ndarray,
    y_norms: np.ndarray,
    limit_scale: float,
    y_largest: float,
    rows: np.ndarray,
    columns: np.ndarray,
) -> int:
    """In place, ``block[i, j] = (block[i, j] * -2.0 + x_norms[i]) + y_norms[j]``; the entries
    ``<= limit_scale * (x_norms[i] + y_largest)`` written to ``rows``/``columns`` in row-major
    order. Returns how many there are (more than ``rows.size``: the caller finds them itself)."""
    count = 0
    capacity = rows.size
    for i in range(block.shape[0]):
        x_norm = x_norms[i]
        limit = limit_scale * (x_norm + y_largest)
        for j in range(block.shape[1]):
            value = block[i, j] * -2.0
            value += x_norm
            value += y_norms[j]
            block[i, j] = value
            if value <= limit:
                if count < capacity:
                    rows[count] = i
                    columns[count] = j
                count += 1
    return count
