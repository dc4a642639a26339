"""Cells of one input column as numbers or labels, each problem named with source, column and rows.

Helpers of :mod:`collectors.sources.features`: a numeric column's values (NaN where missing or
infinite; a type change is an error), a categorical column's labels (``__missing__`` where
missing), a vector column's matrix, and the dtype a column's kind is inferred from.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from collectors.sources.kinds import is_datetime

__all__ = [
    "MISSING",
    "FeatureError",
    "Kind",
    "infer_kind",
    "labels",
    "numeric",
    "rows_listed",
    "vectors",
]

MISSING = "__missing__"
Kind = Literal["numeric", "categorical", "vector", "datetime"]
_MAX_LISTED = 5


class FeatureError(ValueError):
    """A frame does not fit the feature map; the message names the source and the column."""


def rows_listed(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    more = f" and {rows.size - _MAX_LISTED} more" if rows.size > _MAX_LISTED else ""
    return f"{rows.size} of {mask.size} rows (first rows {', '.join(map(str, rows[:5]))}{more})"


def infer_kind(series: pd.Series, source: str) -> Kind:
    """Vector for array cells, datetime for dates and times, categorical for text/category/bool,
    numeric for numbers."""
    dtype = series.dtype
    if is_datetime(series):
        return "datetime"
    if isinstance(dtype, pd.ArrowDtype) and "list" in str(dtype.pyarrow_dtype):
        return "vector"
    if ptypes.is_object_dtype(dtype):
        present = series.dropna()
        if len(present) and isinstance(present.iloc[0], (list, tuple, np.ndarray)):
            return "vector"
        return "categorical"
    if ptypes.is_bool_dtype(dtype) or ptypes.is_string_dtype(dtype):
        return "categorical"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if ptypes.is_numeric_dtype(dtype):
        return "numeric"
    raise FeatureError(f"{source}: column {series.name!r} has unsupported dtype {dtype}")


def numeric(series: pd.Series, source: str) -> np.ndarray:
    """Raw float64 values of a numeric column, NaN where missing or infinite; a type change is
    an error."""
    name, dtype = series.name, series.dtype
    where = f"{source}: column {name!r}"
    if ptypes.is_object_dtype(dtype):
        wrong = series.notna().to_numpy() & ~np.array(
            [isinstance(v, numbers.Real) and not isinstance(v, bool) for v in series], dtype=bool
        )
        if wrong.any():
            first = series.iloc[int(np.flatnonzero(wrong)[0])]
            raise FeatureError(
                f"{where} was numeric in the reference but holds non-numeric values now "
                f"in {rows_listed(wrong)}, e.g. {first!r}"
            )
        series = pd.to_numeric(series, errors="coerce")
    elif ptypes.is_bool_dtype(dtype) or not ptypes.is_numeric_dtype(dtype):
        present = series.dropna()
        example = f", e.g. {present.iloc[0]!r}" if len(present) else ""
        raise FeatureError(
            f"{where} was numeric in the reference but has dtype {dtype} now{example}"
        )
    values = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def _label(value: object) -> str:
    """One category as text; a whole number reads the same as an int, float or numpy scalar
    (``3``, ``3.0``, ``np.int64(3)`` are all ``"3"``), so a categorical column whose integer
    codes arrive as floats in a version still matches the reference's categories."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return str(math.trunc(value))
    return str(value)


def labels(series: pd.Series, source: str) -> np.ndarray:
    """Labels of a categorical column as an object array of str; missing cells are
    ``__missing__``."""
    missing = series.isna().to_numpy()
    cells = series.to_numpy(dtype=object)
    return np.array(
        [MISSING if gone else _label(v) for v, gone in zip(cells, missing, strict=True)],
        dtype=object,
    )


def vectors(
    series: pd.Series, source: str, length: int | None, *, missing_ok: bool = False
) -> np.ndarray:
    """Stack a vector column into a float64 matrix; every cell must hold ``length`` numbers.

    ``missing_ok``: missing cells (None, NaN) are rows of NaN instead of an error (the caller
    imputes them), and so is a vector holding a NaN or infinite entry (the whole cell counts as
    missing, as an infinite number does); the other cells must still hold ``length`` numbers.
    """
    where = f"{source}: column {series.name!r}"
    every = series.to_numpy(dtype=object)
    is_array = np.array([isinstance(c, (list, tuple, np.ndarray)) for c in every], dtype=bool)
    absent = np.zeros(len(every), dtype=bool)
    if missing_ok:
        absent = np.array(
            [not a and _na(c) for a, c in zip(is_array, every, strict=True)], dtype=bool
        )
    not_array = ~is_array & ~absent
    if not_array.any():
        raise FeatureError(f"{where} holds missing or non-array cells in {rows_listed(not_array)}")
    if absent.any():
        present = vectors(series[~absent], source, length, missing_ok=True)  # rows named
        out = np.full((len(every), present.shape[1]), np.nan)
        out[~absent] = present
        return out
    cells = every
    lengths = np.array([len(c) for c in cells], dtype=np.int64)
    expected = int(lengths[0]) if length is None and len(cells) else length
    if expected is None:  # no cell to take the length from
        raise FeatureError(f"{where} holds no vectors")
    wrong = lengths != expected
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise FeatureError(
            f"{where}: vectors must have length {expected}, but {rows_listed(wrong)} differ "
            f"(row {first} has length {lengths[first]})"
        )
    if expected == 0:
        raise FeatureError(f"{where} holds empty vectors")
    try:
        matrix = np.array([np.asarray(c, dtype=np.float64) for c in cells]).reshape(-1, expected)
    except (TypeError, ValueError) as error:
        raise FeatureError(f"{where} holds non-numeric vectors ({error})") from error
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any() and missing_ok:
        matrix[bad] = np.nan
    elif bad.any():
        raise FeatureError(
            f"{where} has vectors with NaN or infinite entries in {rows_listed(bad)}"
        )
    return matrix


def _na(cell: object) -> bool:
    """Whether a scalar cell is missing (None, NaN, pd.NA, NaT)."""
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False
