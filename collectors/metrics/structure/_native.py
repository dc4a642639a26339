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
the stock estimators' code for everything else (growing, predicting).

Binning shared between fits (issue 23 and 26's cost): a histogram model's training matrix is
binned column by column, and a column's bin thresholds (its distinct values' midpoints, or the
``averaged_inverted_cdf`` percentiles above ``max_bins`` distinct values) and its bin codes
depend on that column's training values only. The screening fits of a reference (every column
predicted from the others on the same rows), the audits of a version (the same version rows) and
their real sides bin the same columns again and again. :class:`BinCache` keeps each binned
column under its exact bytes (the key *is* the data, so a hit is the same column), and a model
given one (:func:`hgb_model` ``bins=``) takes its columns from it: the same thresholds and codes
as scikit-learn's ``_BinMapper``, hence the same trees and predictions, bit for bit (tested).
:func:`hgb_model` is the one place the structure figures make a model: stock estimator, numpy
category codes or shared bins.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting._binning import _map_to_bins
from sklearn.ensemble._hist_gradient_boosting.binning import _find_binning_thresholds
from sklearn.ensemble._hist_gradient_boosting.common import ALMOST_INF
from threadpoolctl import ThreadpoolController

__all__ = [
    "BinCache",
    "BinnedClassifier",
    "BinnedRegressor",
    "NativeClassifier",
    "NativeRegressor",
    "binning_thresholds",
    "blockwise",
    "hgb_model",
    "one_thread",
]

X_DTYPE = np.float64  # scikit-learn's X_DTYPE for the histogram models
X_BINNED_DTYPE = np.uint8  # and its X_BINNED_DTYPE
BIN_CACHE_COLUMNS = 256  # binned columns kept per cache (at 2,000 rows about 5 MB)
SHARE_BINS = True  # False: every fit bins its own columns (benchmarks time both)


@functools.cache
def _controller() -> ThreadpoolController:
    """The process's OpenMP pools (the models'), found once, after scikit-learn's models are
    imported: ``threadpool_limits`` scans the loaded libraries on every call (about 7 ms,
    several times per version)."""
    return ThreadpoolController().select(user_api="openmp")


def one_thread() -> AbstractContextManager[object]:
    """The models' OpenMP pools limited to one thread, without the scan. OpenMP's thread count
    is the calling thread's own, so this holds in the structure family's thread only; BLAS is
    left alone: its thread count is the whole process's, and a limiter restores every library
    of its controller on exit, so limiting BLAS here (as before session 10) restored values
    over the main thread's own limits and left BLAS at one thread after an evaluate. The models
    use no BLAS."""
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


def binning_thresholds(x: np.ndarray, max_bins: int) -> list[np.ndarray]:
    """scikit-learn's ``_find_binning_thresholds`` (no sample weights) of every column of ``x``,
    the complete columns with more than ``max_bins`` distinct values in one call: all columns
    sorted at once, their distinct values counted from the sorted neighbours (``!=``, as
    ``np.unique``), one ``np.percentile`` (``averaged_inverted_cdf``) along the rows of those
    columns -- elementwise the same arithmetic as a column's own call, so the same thresholds
    bit for bit (tested); the other columns (missing values, few distinct values) by
    scikit-learn's function itself. Per column it cost about 2 ms at 1,000 rows (issue 26)."""
    x = np.asarray(x, dtype=X_DTYPE)
    out: list[np.ndarray] = [np.empty(0)] * x.shape[1]
    if x.shape[0] > 1:
        ordered = np.sort(x, axis=0)  # NaN last
        complete = ~np.isnan(ordered[-1])
        distinct = 1 + np.count_nonzero(ordered[1:] != ordered[:-1], axis=0)
        wide = np.flatnonzero(complete & (distinct > max_bins))
    else:
        wide = np.empty(0, dtype=np.intp)
    if wide.size:
        percentiles = np.linspace(0, 100, num=max_bins + 1)[1:-1]
        edges = np.percentile(ordered[:, wide], percentiles, axis=0, method="averaged_inverted_cdf")
        for k, j in enumerate(wide.tolist()):
            column = np.ascontiguousarray(edges[:, k])
            unique = np.unique(column)
            if unique.shape[0] != column.shape[0]:
                column = unique
            np.clip(column, a_min=None, a_max=ALMOST_INF, out=column)
            out[j] = column
    done = set(wide.tolist())
    for i in range(x.shape[1]):
        if i not in done:
            out[i] = _find_binning_thresholds(np.ascontiguousarray(x[:, i]), max_bins)
    return out


class BinCache:
    """Binned training columns under their exact bytes, least recently used dropped past
    ``limit`` columns; safe to share between threads (see the module docstring)."""

    def __init__(self, limit: int = BIN_CACHE_COLUMNS) -> None:
        self.limit = limit
        self._columns: OrderedDict[tuple[bytes, int, int], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def column(
        self, values: np.ndarray, max_bins: int, categories: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``_BinMapper``'s thresholds and bin codes of one training column (:meth:`matrix` of
        it, the cached entry itself): ``categories`` 0 for a numeric column, else the number of
        category codes 0..c-1 (the thresholds are those codes)."""
        values = np.ascontiguousarray(values, dtype=X_DTYPE)
        thresholds, binned = self.matrix(values[:, None], max_bins, [categories])
        key = (values.tobytes(), max_bins, categories)
        with self._lock:  # an entry evicted meanwhile (a tiny limit): these same values
            return self._columns.get(key, (thresholds[0], binned[:, 0]))

    def matrix(
        self, x: np.ndarray, max_bins: int, categories: list[int]
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """:meth:`column` of every column of ``x`` (``categories`` per column), the numeric
        columns not in the cache thresholded together (:func:`binning_thresholds`): the
        thresholds per column and the bin codes (Fortran order)."""
        x = np.asarray(x, dtype=X_DTYPE)
        binned = np.empty(x.shape, dtype=X_BINNED_DTYPE, order="F")
        thresholds: list[np.ndarray] = [np.empty(0)] * x.shape[1]
        keys: list[tuple[bytes, int, int]] = []
        missed: list[int] = []
        if not self.limit:  # a cache that keeps nothing (one fit's own bins): no keys to hash
            missed = list(range(x.shape[1]))
        with self._lock:
            for j in range(x.shape[1] if self.limit else 0):
                key = (np.ascontiguousarray(x[:, j]).tobytes(), max_bins, categories[j])
                keys.append(key)
                found = self._columns.get(key)
                if found is None:
                    missed.append(j)
                    continue
                self._columns.move_to_end(key)
                self.hits += 1
                thresholds[j], binned[:, j] = found
        numeric = [j for j in missed if not categories[j]]
        if numeric:
            for j, edges in zip(numeric, binning_thresholds(x[:, numeric], max_bins), strict=True):
                thresholds[j] = edges
        for j in missed:
            if categories[j]:
                thresholds[j] = np.arange(categories[j], dtype=X_DTYPE)
        if missed:
            codes = np.zeros((x.shape[0], len(missed)), dtype=X_BINNED_DTYPE, order="F")
            flags = np.array([1 if categories[j] else 0 for j in missed], dtype=np.uint8)
            _map_to_bins(
                np.ascontiguousarray(x[:, missed]),
                [thresholds[j] for j in missed],
                flags,
                max_bins,
                1,
                codes,
            )
            binned[:, missed] = codes
        with self._lock:
            for k, j in enumerate(missed):
                self.misses += 1
                if self.limit:
                    self._columns[keys[j]] = (thresholds[j], codes[:, k])
            while len(self._columns) > self.limit:
                self._columns.popitem(last=False)
        return thresholds, binned


class _SharedBins:
    """``_bin_data`` of scikit-learn's histogram models (1.4 and later) with the training
    columns taken from a :class:`BinCache` (``self._bins``; None: scikit-learn's own)."""

    _bin_mapper: Any
    _bins: BinCache | None = None

    def _bin_data(self, X: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        # (X, is_training_data) before scikit-learn 1.6, (X, sample_weight, is_training_data) since
        is_training_data = kwargs.get("is_training_data", args[-1] if args else False)
        sample_weight = kwargs.get("sample_weight", args[0] if len(args) == 2 else None)
        mapper = self._bin_mapper
        bins = self._bins
        if (
            bins is None
            or not is_training_data
            or sample_weight is not None
            or (mapper.subsample is not None and X.shape[0] > mapper.subsample)
            or not 3 <= mapper.n_bins <= 256
        ):
            return super()._bin_data(X, *args, **kwargs)  # type: ignore[misc]
        x = np.asarray(X, dtype=X_DTYPE)
        features = x.shape[1]
        flags = (
            np.zeros(features, dtype=np.uint8)
            if mapper.is_categorical is None
            else np.asarray(mapper.is_categorical, dtype=np.uint8)
        )
        known = mapper.known_categories or [None] * features
        max_bins = mapper.n_bins - 1
        categories = [len(known[j]) if flags[j] else 0 for j in range(features)]
        for j in np.flatnonzero(flags):
            if not np.array_equal(known[j], np.arange(categories[j])):
                return super()._bin_data(X, *args, **kwargs)  # type: ignore[misc]
        thresholds, binned = bins.matrix(x, max_bins, categories)
        non_missing = [
            categories[j] if flags[j] else thresholds[j].shape[0] + 1 for j in range(features)
        ]
        mapper.is_categorical_ = flags
        mapper.missing_values_bin_idx_ = mapper.n_bins - 1
        mapper.bin_thresholds_ = thresholds
        mapper.n_bins_non_missing_ = np.array(non_missing, dtype=np.uint32)
        return binned


class NativeRegressor(_SharedBins, _NativeCodes, HistGradientBoostingRegressor):
    """``HistGradientBoostingRegressor`` with a categorical mask, encoded with numpy."""


class NativeClassifier(_SharedBins, _NativeCodes, HistGradientBoostingClassifier):
    """``HistGradientBoostingClassifier`` with a categorical mask, encoded with numpy."""


class BinnedRegressor(_SharedBins, HistGradientBoostingRegressor):
    """``HistGradientBoostingRegressor`` (numeric features) taking shared bins."""


class BinnedClassifier(_SharedBins, HistGradientBoostingClassifier):
    """``HistGradientBoostingClassifier`` (numeric features) taking shared bins."""


def hgb_model(
    task: Literal["regressor", "classifier"],
    mask: np.ndarray,
    seed: int,
    params: Mapping[str, object],
    *,
    bins: BinCache | None = None,
) -> Any:
    """The structure figures' pinned histogram model, unfitted: ``params`` with ``random_state``
    ``seed``; ``mask`` marks the categorical code columns (encoded with numpy when any, else
    no categorical features); ``bins``: training columns shared through that cache. Untyped:
    a scikit-learn estimator."""
    native = bool(np.asarray(mask).any())
    bins = bins if SHARE_BINS else None
    if task == "regressor":
        kind: type = NativeRegressor if native else BinnedRegressor
    else:
        kind = NativeClassifier if native else BinnedClassifier
    if not native and bins is None:  # the stock estimator
        kind = (
            HistGradientBoostingRegressor if task == "regressor" else HistGradientBoostingClassifier
        )
    model = kind(random_state=seed, categorical_features=mask if native else None, **params)
    model._bins = bins
    return model


@contextmanager
def blockwise(model: Any, rows: int) -> Iterator[None]:
    """While inside, ``model``'s predictions of a matrix made of ``rows`` base rows followed by
    blocks of ``rows`` rows each (a permutation importance's copies, each differing from the
    base in a column or two) skip what cannot change: a tree whose split features a block
    leaves equal to the base gives that block the base rows' values, so each tree predicts the
    base rows and only the blocks that differ in a feature it splits on. The values, and their
    sums in scikit-learn's order (``_predict_iterations``), are those of predicting every row:
    the same predictions bit for bit (tested). Any other matrix: scikit-learn's own path."""
    stock = type(model)._predict_iterations

    def iterations(
        x: np.ndarray, predictors: Any, raw: np.ndarray, is_binned: bool, n_threads: int
    ) -> None:
        total = x.shape[0]
        if is_binned or rows < 1 or total % rows or total == rows:
            return stock(model, x, predictors, raw, is_binned, n_threads)
        bitsets, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
        blocks = total // rows - 1
        base = x[:rows]
        # Features in which each block differs from the base (a missing value counts as a
        # difference: predicted again, never assumed equal).
        changed = (x[rows:].reshape(blocks, rows, x.shape[1]) != base).any(axis=1)
        offsets = np.arange(rows)
        for predictors_of_ith_iteration in predictors:
            for k, predictor in enumerate(predictors_of_ith_iteration):
                nodes = predictor.nodes
                used = np.unique(nodes["feature_idx"][nodes["is_leaf"] == 0])
                values = np.tile(predictor.predict(base, bitsets, f_idx_map, n_threads), blocks + 1)
                redo = np.flatnonzero(changed[:, used].any(axis=1))
                if redo.size:
                    again = ((1 + redo)[:, None] * rows + offsets).ravel()
                    values[again] = predictor.predict(x[again], bitsets, f_idx_map, n_threads)
                raw[:, k] += values
        return None

    # An instance attribute: another thread predicting with the same model meanwhile (a shared
    # real-side model) gets the same values by either path, and the first to leave removes it.
    model._predict_iterations = iterations
    try:
        yield
    finally:
        vars(model).pop("_predict_iterations", None)
