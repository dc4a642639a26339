"""Histogram gradient boosting on category codes without scikit-learn's per-call preprocessing.

With ``categorical_features``, scikit-learn's ``HistGradientBoosting*`` wraps every ``fit`` and
every ``predict`` in a ``ColumnTransformer`` (an ``OrdinalEncoder`` on the categorical columns, a
validation on the others, the categorical columns moved first): about 15 % of the structure
figures' time per version, for matrices that :func:`collectors.metrics.structure._frame.encode`
already gives as small float codes. :class:`NativeRegressor` and :class:`NativeClassifier` do the
same encoding with numpy: each categorical column's distinct non-missing training values, sorted,
are its categories 0..c-1 (a value unseen in training and a missing value: NaN, the model's
missing-value bin), the categorical columns first, then the numeric columns as float64, the
models' categorical flags and known categories as scikit-learn sets them. The fitted models and
their predictions are those of the stock estimators, bit for bit (tested on real data); they are
the stock estimators' code for everything else (binning, growing, predicting).
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

__all__ = ["NativeClassifier", "NativeRegressor", "one_thread"]

X_DTYPE = np.float64  # scikit-learn's X_DTYPE for the histogram models


@functools.cache
def _controller() -> ThreadpoolController:
    """The process's thread pools (OpenMP of the models, BLAS), found once, after scikit-learn's
    models are imported: ``threadpool_limits`` scans the loaded libraries on every call (about
    7 ms, several times per version)."""
    return ThreadpoolController()


def one_thread() -> AbstractContextManager[object]:
    """``threadpool_limits(1)`` without the scan: every pool limited to one thread."""
    return _controller().limit(limits=1)


class _NativeCodes:
    """The ``_preprocess_X`` of scikit-learn's histogram models (1.4 and later) for a boolean
    ``categorical_features`` mask over a numeric matrix."""

    categorical_features: Any
    max_bins: int

    def _preprocess_X(self, X: np.ndarray, *, reset: bool) -> Any:
        x = np.asarray(X, dtype=X_DTYPE)
        if x.ndim != 2:
            raise ValueError(f"expected a 2-d matrix, got shape {x.shape}")
        if reset:
            mask = np.asarray(self.categorical_features, dtype=bool)
            if mask.shape != (x.shape[1],) or not mask.any():
                raise ValueError("a boolean categorical mask with one flag per column is needed")
            self.is_categorical_ = mask
            self.n_features_in_ = x.shape[1]
            self._native_categories = []
            for j in np.flatnonzero(mask):
                column = x[:, j]
                values = np.unique(column[~np.isnan(column)])
                if values.size > self.max_bins:
                    raise ValueError(
                        f"Categorical feature at index {j} is expected to have a cardinality "
                        f"<= {self.max_bins} but actually has a cardinality of {values.size}."
                    )
                self._native_categories.append(values)
            count = len(self._native_categories)
            remapped = np.zeros(x.shape[1], dtype=bool)
            remapped[:count] = True
            self._is_categorical_remapped = remapped
            self._preprocessor = self  # never None: scikit-learn's code takes the encoded path
            known: list[np.ndarray | None] = [None] * x.shape[1]
            for i, values in enumerate(self._native_categories):
                known[i] = np.arange(values.size, dtype=X_DTYPE)
            return self._native_encode(x), known
        if x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, but the model is expecting {self.n_features_in_}"
            )
        return self._native_encode(x)

    def _native_encode(self, x: np.ndarray) -> np.ndarray:
        mask = self.is_categorical_
        out = np.empty(x.shape, dtype=X_DTYPE)
        for i, (j, values) in enumerate(
            zip(np.flatnonzero(mask), self._native_categories, strict=True)
        ):
            column = x[:, j]
            position = np.searchsorted(values, column)
            inside = position < values.size
            found = inside & (values[np.minimum(position, values.size - 1)] == column)
            out[:, i] = np.where(found, position, np.nan)
        out[:, len(self._native_categories) :] = x[:, ~mask]
        return out


class NativeRegressor(_NativeCodes, HistGradientBoostingRegressor):
    """``HistGradientBoostingRegressor`` with a categorical mask, encoded with numpy."""


class NativeClassifier(_NativeCodes, HistGradientBoostingClassifier):
    """``HistGradientBoostingClassifier`` with a categorical mask, encoded with numpy."""
