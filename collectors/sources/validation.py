"""Input checks shared by every metric function.

Every public metric validates its arrays here so that bad input fails with one clear message that
says what is wrong and where (how many rows, which columns), instead of a NaN deep inside BLAS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["as_matrix", "check_k", "check_pair"]

_MAX_LISTED = 5


def _column_label(index: int, columns: Sequence[str] | None) -> str:
    if columns is not None and index < len(columns):
        return f"{columns[index]!r}"
    return str(index)


def as_matrix(
    values: object,
    name: str,
    *,
    columns: Sequence[str] | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    """Return ``values`` as a finite, non-empty, C-contiguous 2-D float array.

    Raises ``ValueError`` naming ``name``, the number of bad rows and the offending columns.
    """
    try:
        array: np.ndarray = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: cannot be read as a numeric array ({error})") from error
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (rows x features), got {array.ndim}-D")
    if array.shape[0] == 0:
        raise ValueError(f"{name}: is empty (0 rows)")
    if array.shape[1] == 0:
        raise ValueError(f"{name}: has no feature columns")
    finite = np.isfinite(array)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        bad_columns = np.flatnonzero(~finite.all(axis=0))
        listed = ", ".join(_column_label(int(c), columns) for c in bad_columns[:_MAX_LISTED])
        more = (
            f" and {bad_columns.size - _MAX_LISTED} more" if bad_columns.size > _MAX_LISTED else ""
        )
        first = ", ".join(str(int(r)) for r in bad_rows[:_MAX_LISTED])
        raise ValueError(
            f"{name}: {bad_rows.size} of {array.shape[0]} rows hold NaN or inf "
            f"(columns {listed}{more}; first rows {first})"
        )
    return np.ascontiguousarray(array)


def check_k(k: int, sizes: dict[str, int]) -> int:
    """Check that ``k`` is a positive integer smaller than every set size in ``sizes``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    for name, size in sizes.items():
        if size <= k:
            raise ValueError(
                f"{name} has {size} rows but k = {k}: each point needs k other points of its own "
                f"set, so the number of rows must be larger than k"
            )
    return int(k)


def check_pair(
    real: object,
    synthetic: object,
    *,
    k: int | None = None,
    columns: Sequence[str] | None = None,
    dtype: type = np.float64,
    real_name: str = "real",
    synthetic_name: str = "synthetic",
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a real/synthetic pair in a shared feature space (and ``k`` when given)."""
    real_array = as_matrix(real, real_name, columns=columns, dtype=dtype)
    synthetic_array = as_matrix(synthetic, synthetic_name, columns=columns, dtype=dtype)
    if real_array.shape[1] != synthetic_array.shape[1]:
        raise ValueError(
            f"dimension mismatch: {real_name} has {real_array.shape[1]} features, "
            f"{synthetic_name} has {synthetic_array.shape[1]}"
        )
    if k is not None:
        check_k(k, {real_name: real_array.shape[0], synthetic_name: synthetic_array.shape[0]})
    return real_array, synthetic_array
