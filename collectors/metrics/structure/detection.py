"""Classifier two-sample test (C2ST, detection AUC): can a classifier tell the version's rows
from real rows?

Lopez-Paz and Oquab 2017 ("Revisiting Classifier Two-Sample Tests", ICLR, sec. 2): label real
rows 0 and version rows 1, train a classifier on part of the pooled rows and score it on the rest;
under equal distributions the held-out score sits at chance. Here the score is the ROC AUC
(SDMetrics' detection metrics report 1 - 2 max(AUC - 0.5, 0) of the same), cross-validated over
stratified folds: AUC_f on fold f, the figure is their mean. The classifier is a small, seeded,
single-threaded histogram gradient boosting model (scikit-learn; Ke et al. 2017's LightGBM
design) that handles mixed types (categorical codes) and missing values natively. Both sides are
drawn down to the same number of rows, at most ``max_rows``.

:class:`DetectionReference` keeps what depends on the reference only (its content order,
the categories, each draw size's encoded real rows, the random state after the real draw and the
folds) for every version measured against it, and fits the classifier with its category codes
encoded by numpy (:class:`~collectors.metrics.structure._native.NativeClassifier`, the stock
model's predictions bit for bit): the figures of :func:`detection_auc`, bit for bit (tested).
Pure: frames in, numbers out.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from collectors.metrics.structure._frame import (
    Columns,
    categorical_mask,
    check_columns,
    content_order,
    encode,
    reference_categories,
    split_columns,
)
from collectors.metrics.structure._native import BinCache, hgb_model, one_thread

__all__ = [
    "DETECTION_MODEL",
    "DetectionReference",
    "DetectionResult",
    "binary_auc",
    "detection_auc",
    "detection_model",
]

# Small and fixed: the figure should move with the data, not with the model. 10 rounds at 0.4
# (was 20 at 0.2: the same total step, half the per-round Python of a fit; issue 23's cost).
DETECTION_MODEL: dict[str, object] = {
    "max_iter": 10,
    "learning_rate": 0.4,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "max_bins": 63,
    "early_stopping": False,
}
MAX_ROWS = 2000  # rows per side
FOLDS = 2  # every row is scored once whatever the folds; 3 cost 1.4x the time of 2
MAX_DRAW_SIZES = 4  # real draws kept per reference (the versions' size and the healthy draws')


@dataclass(frozen=True)
class DetectionResult:
    """Cross-validated detection AUC (0.5: indistinguishable, 1: every row told apart)."""

    auc: float
    fold_aucs: tuple[float, ...]
    rows_per_side: int

    def figures(self) -> dict[str, float]:
        return {"detection_auc": self.auc}


def detection_model(mask: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    """The pinned classifier; ``mask`` marks the categorical code columns."""
    categorical = mask if mask.any() else None
    return HistGradientBoostingClassifier(
        random_state=seed, categorical_features=categorical, **DETECTION_MODEL
    )


def detection_data(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    columns: Columns,
    *,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled matrix, labels (0 real, 1 version) and categorical mask, equal rows per side,
    drawn with ``seed`` over each side in :func:`content_order` (so independent of the order
    the rows came in)."""
    prepared = DetectionReference(reference, columns, max_rows=max_rows, seed=seed)
    x, y, _ = prepared.data(version)
    return x, y, prepared.mask


@dataclass(frozen=True)
class _RealDraw:
    """One draw size's real side: the encoded real rows, the random state after their draw (the
    version's draw continues from it) and the folds of the pooled rows (they depend on the
    labels only)."""

    x: np.ndarray
    state: Any  # numpy's PCG64 state (a dict)
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]


class DetectionReference:
    """The real side of :func:`detection_auc`, prepared once for versions measured against
    ``reference`` (see the module docstring)."""

    def __init__(
        self,
        reference: pd.DataFrame,
        columns: Columns,
        *,
        max_rows: int = MAX_ROWS,
        folds: int = FOLDS,
        seed: int = 0,
    ) -> None:
        check_columns(reference, columns, "reference")
        self.columns, self.max_rows, self.folds, self.seed = columns, max_rows, folds, seed
        # Rows drawn (and folded) in the order of their values, not of their positions: the AUC
        # is a figure of two sets of rows, the same whatever order a reader or sampler gave them.
        self.reference = reference  # kept, not copied: each draw size takes its rows once
        self.order = content_order(reference, columns, "reference")
        self.categories = reference_categories(reference, columns)
        self.mask = categorical_mask(columns)
        self._draws: dict[int, _RealDraw] = {}
        self._lock = threading.Lock()  # versions and healthy draws may come from two threads

    def _real_draw(self, rows: int) -> _RealDraw:
        with self._lock:
            found = self._draws.get(rows)
        if found is not None:
            return found
        rng = np.random.default_rng(self.seed)
        picked = np.sort(rng.choice(len(self.order), rows, replace=False))
        real = self.reference.iloc[self.order[picked]]
        x = encode(real, self.columns, self.categories, "reference")
        y = np.repeat([0, 1], rows)
        splitter = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
        folds = tuple(splitter.split(np.zeros((len(y), 1)), y))
        found = _RealDraw(x, rng.bit_generator.state, folds)
        with self._lock:
            if len(self._draws) >= MAX_DRAW_SIZES:
                del self._draws[next(iter(self._draws))]  # the oldest size
            self._draws[rows] = found
        return found

    def data(
        self, version: pd.DataFrame, *, encoded: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, _RealDraw]:
        """Pooled matrix and labels as :func:`detection_data`, and the real draw they used.
        ``encoded``: ``version`` already in :func:`content_order`, encoded over the reference's
        categories (:func:`encode`) by the caller, whose rows are then taken as they are."""
        check_columns(version, self.columns, "version")
        rows = min(len(self.order), len(version), self.max_rows)
        if rows < FOLDS:
            raise ValueError(f"detection needs at least {FOLDS} rows per side, got {rows}")
        real = self._real_draw(rows)
        generator = np.random.PCG64()
        generator.state = real.state
        rng = np.random.Generator(generator)
        picked = np.sort(rng.choice(len(version), rows, replace=False))
        if encoded is None:
            ordered = version.iloc[content_order(version, self.columns, "version")]
            synthetic = encode(ordered.iloc[picked], self.columns, self.categories, "version")
        else:
            if encoded.shape != (len(version), len(self.columns.names)):
                raise ValueError(f"encoded version: shape {encoded.shape} for {len(version)} rows")
            synthetic = encoded[picked]
        return np.vstack([real.x, synthetic]), np.repeat([0, 1], rows), real

    def measure(
        self, version: pd.DataFrame, *, encoded: np.ndarray | None = None
    ) -> DetectionResult:
        """The C2ST AUC of ``version`` (see :func:`detection_auc`; ``encoded`` as in
        :meth:`data`)."""
        x, y, real = self.data(version, encoded=encoded)
        aucs = []
        with one_thread():
            for train, test in real.folds:
                model = _fitted_model(self.mask, self.seed, x[train], y[train])
                aucs.append(binary_auc(y[test], model.predict_proba(x[test])[:, 1]))
        return DetectionResult(float(np.mean(aucs)), tuple(aucs), len(y) // 2)


def binary_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """scikit-learn's ``roc_auc_score`` of 0/1 ``labels`` (both present) and finite ``scores``,
    the same arithmetic without its input checks (about 8 ms a call): the ROC curve's points at
    each distinct score, descending (true positives a cumulative sum, false positives the rank
    minus them), collinear points dropped, rates divided by the totals, the trapezoidal area."""
    order = np.argsort(scores, kind="stable")[::-1]  # the order inside ties does not count
    ranked = scores[order]
    ends = np.append(np.flatnonzero(np.diff(ranked)), len(ranked) - 1)
    tps = np.cumsum(labels[order].astype(np.float64))[ends]
    fps = 1 + ends.astype(np.float64) - tps
    if fps.shape[0] > 2:
        corner = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.concatenate([[True], corner, [True]])
        fps, tps = fps[keep], tps[keep]
    if fps[-1] <= 0 or tps[-1] <= 0:
        raise ValueError("the AUC needs both labels among the scored rows")
    fpr = np.concatenate([[0.0], fps]) / fps[-1]
    tpr = np.concatenate([[0.0], tps]) / tps[-1]
    return float(np.trapezoid(tpr, fpr))


def _fitted_model(
    mask: np.ndarray, seed: int, x: np.ndarray, y: np.ndarray
) -> HistGradientBoostingClassifier:
    """:func:`detection_model` fitted, category codes encoded by numpy when there are any."""
    # The training columns mix real and version rows: binned together (the same bins as the
    # stock model's, bit for bit), none kept (no other fit trains on them).
    model: HistGradientBoostingClassifier = hgb_model(
        "classifier", mask, seed, DETECTION_MODEL, bins=BinCache(limit=0)
    )
    return model.fit(x, y)


def detection_auc(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
    folds: int = FOLDS,
    seed: int = 0,
) -> DetectionResult:
    """C2ST AUC (Lopez-Paz and Oquab 2017, sec. 2) of real vs version, mean over ``folds``
    stratified, shuffled (``seed``) folds; at most ``max_rows`` rows per side. A caller
    measuring many versions against one reference keeps a :class:`DetectionReference`."""
    kinds = (
        columns
        if isinstance(columns, Columns)
        else split_columns(reference, columns=columns, categorical=categorical)
    )
    prepared = DetectionReference(reference, kinds, max_rows=max_rows, folds=folds, seed=seed)
    return prepared.measure(version)
